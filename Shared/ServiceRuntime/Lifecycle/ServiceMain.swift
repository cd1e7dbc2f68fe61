// The shared entry point of every service executable.

import Foundation
import Hummingbird
import Kafka
import Logging
import Metrics
import Prometheus
import RegistrySchema
import ServiceLifecycle

/// Runs a service: handles `--help`, tunes malloc (``MallocTuning``), reads and validates its
/// configuration, checks librdkafka, assembles the ``ServiceApplication`` and runs it until
/// SIGTERM/SIGINT.
public enum ServiceMain {
    /// Exit codes, following sysexits(3) where one fits.
    public enum ExitCode: Int32 {
        case success = 0
        case failure = 1
        case usage = 64
        case configuration = 78
    }

    /// Runs the service described by `descriptor` and returns the process exit code.
    /// - Parameters:
    ///   - descriptor: Which service this is.
    ///   - arguments: Command-line arguments without the program name.
    ///   - environment: The process environment.
    public static func run<S: RegistryService>(
        _ service: S.Type,
        arguments: [String] = Array(CommandLine.arguments.dropFirst()),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async -> ExitCode {
        let descriptor = S.descriptor
        acceptStopSignals()
        switch arguments.first {
        case nil: break
        case "--help", "-h", "help":
            print(descriptor.helpText)
            return .success
        case "--openapi":
            do {
                print(String(decoding: try S.openAPIDocument().json, as: UTF8.self))
                return .success
            } catch {
                printError("\(descriptor.name): \(error)")
                return .failure
            }
        case "--version":
            print("\(descriptor.name) \(BuildInfo.version) (commit \(BuildInfo.commit), librdkafka \(KafkaLibrary.version))")
            return .success
        case "--rebuild" where S.rebuildsFromTopics:
            break
        case let other?:
            printError("\(descriptor.name): unknown argument '\(other)'. Configuration is read from the environment; see --help.")
            return .usage
        }

        let mallocTuned = MallocTuning.returnLargeBlocksToTheSystem(environment: environment)
        let configuration: CommonConfiguration
        let reader: EnvironmentReader
        let verifier: TokenVerifier
        do {
            let resolved = try SecretFiles.resolve(environment, secrets: descriptor.allVariables)
            reader = EnvironmentReader(environment: resolved, secrets: descriptor.allVariables)
            configuration = try CommonConfiguration(reader: reader, service: descriptor.name, port: descriptor.defaultPort)
            try KafkaLibrary.requireSupportedVersion()
            verifier = try await tokenVerifier(configuration)
        } catch {
            printError("\(descriptor.name): \(error)")
            return .configuration
        }

        if arguments.first == "--rebuild" {
            let removed = ServiceStore.remove(directory: configuration.dataDirectory, name: descriptor.name)
            // Standard error, unbuffered, beside the log lines that follow.
            printError("\(descriptor.name): rebuilding: removed \(removed.isEmpty ? "nothing (no store yet)" : removed.joined(separator: ", ")); replaying its topics from the beginning (progress is logged)")
        }

        LoggingSystem.bootstrap { label in
            var handler: any LogHandler
            switch configuration.logFormat {
            case .text: handler = StreamLogHandler.standardError(label: label)
            case .json: handler = JSONLogHandler.standardError(label: label)
            }
            handler.logLevel = configuration.logLevel
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(MetricCatalog.factory(registry: registry))
        Gauge(label: "build_info", dimensions: [
            ("service", descriptor.name), ("version", BuildInfo.version), ("commit", BuildInfo.commit), ("librdkafka", KafkaLibrary.version),
        ]).record(1)
        let logger = Logger(label: "kz.registry.\(descriptor.name)")
        let spanExport: (any Service)?
        do {
            spanExport = try TraceExporter.start(service: descriptor.name, environment: environment, logger: logger)
        } catch {
            printError("\(descriptor.name): \(TraceExporter.endpointVariable): \(error)")
            return .configuration
        }

        let application: ServiceApplication
        do {
            application = try ServiceApplication(
                S.self, configuration: configuration, settings: reader, verifier: verifier, registry: registry, logger: logger,
                rebuilding: arguments.first == "--rebuild",
                deadLetterMessage: DeadLetters.message(service: descriptor.name, source: descriptor.eventSource, topics: TopicNames(prefix: configuration.topicPrefix)))
        } catch {
            logger.critical("could not start", metadata: ["error": "\(error)"])
            return .failure
        }
        logger.info(
            "starting",
            metadata: [
                "http": "\(configuration.httpHost):\(configuration.httpPort)",
                "kafka": "\(configuration.kafka.bootstrapServers)",
                "librdkafka": "\(KafkaLibrary.version)",
                "version": "\(BuildInfo.version) (\(BuildInfo.commit))",
                "mallocMmapThreshold": "\(MallocTuning.describe(applied: mallocTuned, environment: environment))",
                "store": "\(application.environment.store.path)",
            ])
        do {
            try await application.run(alongside: spanExport.map { [$0] } ?? [])
            logger.info("stopped")
            return .success
        } catch {
            logger.critical("stopped with an error", metadata: ["error": "\(error)"])
            return .failure
        }
    }

    /// The token verifier the configuration asks for: the JWKS file's keys, else HS256, with the
    /// configured lifetime, issuer and audience.
    static func tokenVerifier(_ configuration: CommonConfiguration) async throws -> TokenVerifier {
        try await keyVerifier(configuration).requiring(configuration.tokenRules)
    }

    private static func keyVerifier(_ configuration: CommonConfiguration) async throws -> TokenVerifier {
        if let path = configuration.jwksFile {
            guard let json = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ConfigurationError(variable: "REGISTRY_JWT_JWKS_FILE", problem: "cannot read \(path)")
            }
            do {
                return try await TokenVerifier.jwks(json: json)
            } catch {
                throw ConfigurationError(variable: "REGISTRY_JWT_JWKS_FILE", problem: "\(error)")
            }
        }
        guard let secret = configuration.jwtSecret else {
            throw ConfigurationError(variable: "REGISTRY_JWT_SECRET", problem: "set it (development, HS256) or REGISTRY_JWT_JWKS_FILE (production)")
        }
        guard secret.utf8.count >= 32 else {
            throw ConfigurationError(variable: "REGISTRY_JWT_SECRET", problem: "must be at least 32 bytes long (HS256 keys shorter than the hash are weak)")
        }
        guard secret != CommonConfiguration.publishedDevelopmentSecret || configuration.developmentMode else {
            throw ConfigurationError(
                variable: "REGISTRY_JWT_SECRET",
                problem: "is the published development secret: anyone could mint tokens with it. Set a secret of your own (openssl rand -base64 48) or, on a development machine only, REGISTRY_DEV_MODE=true")
        }
        return await TokenVerifier.hs256(secret: secret)
    }

    /// Unblocks SIGTERM and SIGINT in the calling thread. A parent that spawns us from a thread
    /// which blocks them (a thread pool, a test runner) passes its mask on; the graceful-shutdown
    /// handlers would then never see the signal.
    private static func acceptStopSignals() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }

    private static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
