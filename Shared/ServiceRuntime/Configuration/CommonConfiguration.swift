// The settings every service shares (docs/architecture.md §7).

import Kafka
import Logging

/// The environment variables of docs/architecture.md §7 that every service reads, parsed and validated.
public struct CommonConfiguration: Sendable {
    /// Kafka connection settings, including every `KAFKA_*` pass-through property.
    public var kafka: KafkaClientConfiguration
    /// `REGISTRY_TOPIC_PREFIX`, prepended to every topic name.
    public var topicPrefix: String
    /// `DATA_DIR`: where the service keeps its SQLite store and keys.
    public var dataDirectory: String
    /// `HTTP_HOST`.
    public var httpHost: String
    /// `HTTP_PORT`.
    public var httpPort: Int
    /// `REGISTRY_JWT_SECRET` (HS256 development tokens), if set.
    public var jwtSecret: String?
    /// `REGISTRY_JWT_JWKS_FILE` (production ES256/EdDSA keys), if set.
    public var jwksFile: String?
    /// `LOG_LEVEL`.
    public var logLevel: Logger.Level
    /// `LOG_FORMAT`: `text` (a line per record, for people) or `json` (an object per line, for collectors).
    public var logFormat: LogFormat
    /// `HTTP_RATE_LIMIT`: requests per second per actor; `nil` when off (0).
    public var rateLimit: Double?
    /// `HTTP_RATE_BURST`: how many requests an actor may make at once.
    public var rateBurst: Double
    /// `REGISTRY_DEV_MODE`: a development machine (`make run`, tests). Only then may a service
    /// start with the published development secret or keep a signing key inside `DATA_DIR`.
    public var developmentMode: Bool
    /// `REGISTRY_JWT_MAX_LIFETIME`, `REGISTRY_JWT_ISSUER`, `REGISTRY_JWT_AUDIENCE`.
    public var tokenRules: TokenRules
    /// `CLOCK_MAX_AHEAD`: how far ahead of the host clock a consumed message's timestamp may be
    /// and still count as evidence of the time (``TrustedClock``).
    public var clockMaxAhead: Duration

    /// The development JWT secret that README.md and `make run` publish: anyone can mint tokens
    /// with it, so a service refuses it outside `REGISTRY_DEV_MODE`.
    public static let publishedDevelopmentSecret = "dev-only-secret-change-me-0123456789"

    /// The shared variables with their defaults for a service.
    /// - Parameters:
    ///   - service: The service's name, used for the default `DATA_DIR`.
    ///   - port: The service's port (docs/architecture.md §2).
    public static func variables(service: String, port: Int) -> [ConfigurationVariable] {
        [
            ConfigurationVariable("KAFKA_BOOTSTRAP_SERVERS", default: "localhost:9092", "Kafka brokers, host:port[,host:port…]."),
            ConfigurationVariable("KAFKA_*", default: nil, "Any other KAFKA_X_Y passes to librdkafka as x.y (e.g. KAFKA_SECURITY_PROTOCOL → security.protocol). Statistics for /metrics every 15 s unless KAFKA_STATISTICS_INTERVAL_MS says otherwise."),
            ConfigurationVariable("REGISTRY_TOPIC_PREFIX", default: "", "Prepended to every topic name."),
            ConfigurationVariable("DATA_DIR", default: "./var/\(service)", "Directory of the service's SQLite store and keys."),
            ConfigurationVariable("HTTP_HOST", default: "127.0.0.1", "Address the HTTP API binds to (0.0.0.0 in containers)."),
            ConfigurationVariable("HTTP_PORT", default: "\(port)", "Port of the HTTP API."),
            ConfigurationVariable("REGISTRY_JWT_SECRET", default: nil, "HS256 secret for development tokens.", secret: true),
            ConfigurationVariable("REGISTRY_JWT_JWKS_FILE", default: nil, "JWKS file with ES256/EdDSA public keys (production)."),
            ConfigurationVariable("LOG_LEVEL", default: "info", "trace, debug, info, notice, warning, error or critical."),
            ConfigurationVariable("LOG_FORMAT", default: "text", "text (one line per record) or json (one JSON object per line: level, logger, message, metadata, time)."),
            ConfigurationVariable("HTTP_RATE_LIMIT", default: "200", "Requests per second per caller (token role+sub, else client address; fractions allowed); 0 turns the limit off."),
            ConfigurationVariable("HTTP_RATE_BURST", default: "400", "Requests a caller may make at once before HTTP_RATE_LIMIT applies."),
            ConfigurationVariable("REGISTRY_DEV_MODE", default: "false", "true on a development machine only (make run sets it): allows the development JWT secret and keys inside DATA_DIR."),
            ConfigurationVariable("REGISTRY_JWT_MAX_LIFETIME", default: "24h", "Tokens whose lifetime (exp - iat) is longer are refused (units s, m, h, d)."),
            ConfigurationVariable("REGISTRY_JWT_ISSUER", default: nil, "When set, a token's iss must equal it."),
            ConfigurationVariable("REGISTRY_JWT_AUDIENCE", default: nil, "When set, a token's aud must contain it."),
            ConfigurationVariable("CLOCK_MAX_AHEAD", default: "5m", "Consumed messages stamped further ahead of the host clock are ignored as evidence of the time (counted in clock_future_timestamps_ignored_total)."),
            ConfigurationVariable(
                TraceExporter.endpointVariable, default: nil,
                "OTLP/HTTP collector (e.g. http://otel-collector:4318): exports spans when set; the other OTEL_* variables apply. Trace context is carried either way."),
        ]
    }

    /// Reads and validates the shared variables.
    /// - Throws: ``ConfigurationError`` naming the first bad variable.
    public init(reader: EnvironmentReader, service: String, port: Int) throws {
        try reader.checkSecretFiles()
        let variables = Dictionary(uniqueKeysWithValues: Self.variables(service: service, port: port).map { ($0.name, $0) })
        kafka = KafkaClientConfiguration.fromEnvironment(reader.environment, clientID: service)
        // Client statistics feed /metrics (queue depth, consumer lag); KAFKA_STATISTICS_INTERVAL_MS overrides.
        kafka.statisticsInterval = .seconds(15)
        if let servers = reader.string(variables["KAFKA_BOOTSTRAP_SERVERS"]!) { kafka.bootstrapServers = servers }
        topicPrefix = reader.string(variables["REGISTRY_TOPIC_PREFIX"]!) ?? ""
        dataDirectory = reader.string(variables["DATA_DIR"]!)!
        httpHost = reader.string(variables["HTTP_HOST"]!)!
        httpPort = try reader.int(variables["HTTP_PORT"]!, in: 1...65535)
        jwtSecret = reader.string(variables["REGISTRY_JWT_SECRET"]!)
        jwksFile = reader.string(variables["REGISTRY_JWT_JWKS_FILE"]!)
        let levels = Logger.Level.allCases.map(\.rawValue)
        logLevel = Logger.Level(rawValue: try reader.choice(variables["LOG_LEVEL"]!, from: levels))!
        logFormat = LogFormat(rawValue: try reader.choice(variables["LOG_FORMAT"]!, from: LogFormat.allCases.map(\.rawValue)))!
        let limitText = reader.string(variables["HTTP_RATE_LIMIT"]!) ?? "200"
        guard let limit = Double(limitText), limit >= 0, limit <= 1_000_000 else {
            throw ConfigurationError(variable: "HTTP_RATE_LIMIT", problem: "'\(limitText)' is not a number of requests per second from 0 to 1000000")
        }
        rateLimit = limit == 0 ? nil : limit
        rateBurst = Double(try reader.int(variables["HTTP_RATE_BURST"]!, in: 1...10_000_000))
        developmentMode = try reader.bool(variables["REGISTRY_DEV_MODE"]!)
        tokenRules = TokenRules(
            maxLifetime: Double(try reader.duration(variables["REGISTRY_JWT_MAX_LIFETIME"]!).components.seconds),
            issuer: reader.string(variables["REGISTRY_JWT_ISSUER"]!), audience: reader.string(variables["REGISTRY_JWT_AUDIENCE"]!))
        clockMaxAhead = try reader.duration(variables["CLOCK_MAX_AHEAD"]!)
        if kafka.bootstrapServers.isEmpty {
            throw ConfigurationError(variable: "KAFKA_BOOTSTRAP_SERVERS", problem: "must name at least one broker")
        }
    }
}

/// How log records are written (`LOG_FORMAT`).
public enum LogFormat: String, CaseIterable, Sendable {
    /// swift-log's text lines.
    case text
    /// One JSON object per line (``JSONLogHandler``).
    case json
}
