// swift-tools-version:6.1
// The address registry: four services and an operator tool on Kafka, sharing one schema module.

import PackageDescription

let package = Package(
    name: "address-registry",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "registration-intake", targets: ["RegistrationIntakeMain"]),
        .executable(name: "address-index", targets: ["AddressIndexMain"]),
        .executable(name: "notification", targets: ["NotificationMain"]),
        .executable(name: "audit", targets: ["AuditMain"]),
        .executable(name: "registryctl", targets: ["RegistryCtlMain"]),
        // Swift clients of the four HTTP APIs, generated from docs/api (Clients/README.md).
        .library(
            name: "RegistryClient",
            targets: ["RegistryClient", "RegistrationIntakeClient", "AddressIndexClient", "NotificationClient", "AuditClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        // Trace context (docs/architecture.md §4): the tracing API Hummingbird already builds, and W3C parsing.
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        .package(url: "https://github.com/swift-otel/swift-w3c-trace-context", from: "1.0.0"),
        // Span export, OTLP over HTTP only: its default traits add the gRPC exporter and with it
        // grpc-swift, the bulk of the minutes swift-otel was known to add to a clean build.
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.4"),
        .package(url: "https://github.com/apple/swift-openapi-urlsession", from: "1.4.0"),
    ],
    targets: [
        // MARK: Shared
        .systemLibrary(
            name: "CRdKafka",
            path: "Shared/CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        // glibc's mallopt, which Swift's Glibc module leaves out (ServiceRuntime's MallocTuning).
        .systemLibrary(name: "CGlibcMalloc", path: "Shared/CGlibcMalloc"),
        .target(
            name: "Kafka",
            dependencies: [
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Shared/Kafka"
        ),
        .target(
            name: "RegistrySchema", path: "Shared/RegistrySchema", resources: [.copy("Resources/Schemas")],
            // Optimised in debug builds too: its decoders and encoders run for every message in
            // every service, and unoptimised they are slower than Foundation's (which is always
            // built for release), which made the debug services of `make test` slower.
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        .target(
            name: "ServiceRuntime",
            dependencies: [
                "CGlibcMalloc",
                "Kafka",
                "RegistrySchema",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
                .product(name: "OTel", package: "swift-otel"),
            ],
            path: "Shared/ServiceRuntime"
        ),

        // MARK: Services (library with the logic + thin executable)
        .target(
            name: "RegistrationIntake",
            dependencies: ["ServiceRuntime", "RegistrySchema", "Kafka", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Metrics", package: "swift-metrics")],
            path: "Services/RegistrationIntake/Sources",
            resources: [.copy("Resources/openapi.json")]
        ),
        .executableTarget(name: "RegistrationIntakeMain", dependencies: ["RegistrationIntake", "ServiceRuntime"], path: "Services/RegistrationIntake/Main"),
        .target(
            name: "AddressIndex",
            dependencies: [
                "ServiceRuntime", "RegistrySchema", "Kafka", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"), .product(name: "Logging", package: "swift-log"), .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/AddressIndex/Sources",
            resources: [.copy("Resources/openapi.json")]
        ),
        .executableTarget(name: "AddressIndexMain", dependencies: ["AddressIndex", "ServiceRuntime"], path: "Services/AddressIndex/Main"),
        .target(
            name: "Notification",
            dependencies: [
                "ServiceRuntime", "RegistrySchema", "Kafka", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"), .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/Notification/Sources",
            resources: [.copy("Resources/openapi.json")]
        ),
        .executableTarget(name: "NotificationMain", dependencies: ["Notification", "ServiceRuntime"], path: "Services/Notification/Main"),
        .target(
            name: "Audit",
            dependencies: [
                "ServiceRuntime", "RegistrySchema", "Kafka", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"), .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/Audit/Sources",
            resources: [.copy("Resources/openapi.json")]
        ),
        .executableTarget(name: "AuditMain", dependencies: ["Audit", "ServiceRuntime"], path: "Services/Audit/Main"),
        .target(
            name: "RegistryCtl",
            dependencies: [
                "Kafka",
                "RegistrySchema",
                "ServiceRuntime",
                "Audit",
                "RegistrationIntake",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Services/RegistryCtl/Sources"
        ),
        .executableTarget(
            name: "RegistryCtlMain",
            dependencies: ["RegistryCtl", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Services/RegistryCtl/Main"
        ),

        // MARK: Clients (generated by scripts/update-swift-client.sh; committed, so building them
        // needs only the OpenAPI runtime, not the generator)
        .target(name: "RegistrationIntakeClient", dependencies: [.product(name: "OpenAPIRuntime", package: "swift-openapi-runtime")], path: "Clients/RegistrationIntakeClient"),
        .target(name: "AddressIndexClient", dependencies: [.product(name: "OpenAPIRuntime", package: "swift-openapi-runtime")], path: "Clients/AddressIndexClient"),
        .target(name: "NotificationClient", dependencies: [.product(name: "OpenAPIRuntime", package: "swift-openapi-runtime")], path: "Clients/NotificationClient"),
        .target(name: "AuditClient", dependencies: [.product(name: "OpenAPIRuntime", package: "swift-openapi-runtime")], path: "Clients/AuditClient"),
        .target(
            name: "RegistryClient",
            dependencies: [
                "RegistrationIntakeClient", "AddressIndexClient", "NotificationClient", "AuditClient",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIURLSession", package: "swift-openapi-urlsession"),
            ],
            path: "Clients/RegistryClient"
        ),

        // MARK: Benchmarks
        .executableTarget(name: "SchemaBench", dependencies: ["RegistrySchema"], path: "Benchmarks/SchemaBench"),
        .executableTarget(
            name: "AuditGrowthBench",
            dependencies: ["Audit", "ServiceRuntime", "Kafka", "RegistrySchema", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto")],
            path: "Benchmarks/AuditGrowthBench"
        ),
        .executableTarget(
            name: "WebhookBenchReceiver", dependencies: [.product(name: "Hummingbird", package: "hummingbird")], path: "Benchmarks/WebhookBenchReceiver"),

        // MARK: Tests
        .testTarget(
            name: "RegistrySchemaTests",
            dependencies: ["RegistrySchema", "TestSupport"],
            path: "Tests/RegistrySchemaTests",
            resources: [.copy("Vectors")]
        ),
        .testTarget(
            name: "RegistrationIntakeTests",
            dependencies: ["RegistrationIntake", "RegistrySchema", "ServiceRuntime", "Kafka"],
            path: "Tests/RegistrationIntakeTests"
        ),
        .testTarget(
            name: "AddressIndexTests",
            dependencies: ["AddressIndex", "RegistrationIntake", "RegistrySchema", "ServiceRuntime", "Kafka", .product(name: "Logging", package: "swift-log")],
            path: "Tests/AddressIndexTests"
        ),
        .testTarget(
            name: "AuditTests",
            dependencies: ["Audit", "RegistrySchema", "ServiceRuntime", "Kafka", "TestSupport", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto")],
            path: "Tests/AuditTests"
        ),
        .testTarget(name: "KafkaTests", dependencies: ["Kafka", "TestSupport"], path: "Tests/KafkaTests"),
        .testTarget(
            name: "ServiceTests",
            dependencies: [
                "ServiceRuntime", "TestSupport", "RegistrationIntake", "AddressIndex", "Notification", "Audit", "RegistryClient",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/ServiceTests"
        ),
        // A test-only service for the crash test, run as a child process.
        .executableTarget(
            name: "CrashTestProcessor",
            dependencies: ["ServiceRuntime", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Tests/CrashTestProcessor"
        ),
        .target(name: "TestSupport", dependencies: ["Kafka"], path: "Tests/TestSupport"),
    ]
)
