// Settings every Kafka client shares, and the KAFKA_* environment passthrough (docs/architecture.md §7).

/// Connection settings shared by producers, consumers and the admin client.
///
/// Everything here is turned into librdkafka properties in one place
/// (`RDKafkaConfig`); `extraProperties` carries operator settings such as SASL/TLS through
/// unchanged.
public struct KafkaClientConfiguration: Sendable {
    /// `bootstrap.servers`: comma-separated `host:port` list.
    public var bootstrapServers: String
    /// `client.id` reported to the broker.
    public var clientID: String
    /// `statistics.interval.ms`: how often librdkafka reports statistics to metrics (0 = never).
    public var statisticsInterval: Duration
    /// `socket.timeout.ms` / metadata request timeout.
    public var socketTimeout: Duration
    /// Further librdkafka properties, applied last (they override the typed settings).
    public var extraProperties: [String: String]

    /// Creates a configuration.
    /// - Parameters:
    ///   - bootstrapServers: `host:port[,host:port…]`.
    ///   - clientID: The client id shown by the broker.
    ///   - extraProperties: Further librdkafka properties.
    public init(
        bootstrapServers: String = "localhost:9092",
        clientID: String = "address-registry",
        extraProperties: [String: String] = [:]
    ) {
        self.bootstrapServers = bootstrapServers
        self.clientID = clientID
        self.statisticsInterval = .zero
        self.socketTimeout = .seconds(10)
        self.extraProperties = extraProperties
    }

    /// The environment variable that names the brokers.
    public static let bootstrapServersVariable = "KAFKA_BOOTSTRAP_SERVERS"

    /// Reads `KAFKA_BOOTSTRAP_SERVERS` and passes every other `KAFKA_*` variable through to
    /// librdkafka: `KAFKA_SECURITY_PROTOCOL` becomes `security.protocol`,
    /// `KAFKA_SASL_MECHANISMS` becomes `sasl.mechanisms` (lower case, `_` → `.`).
    /// - Parameters:
    ///   - environment: The process environment (or a test's).
    ///   - clientID: The client id to use.
    public static func fromEnvironment(_ environment: [String: String], clientID: String) -> Self {
        var configuration = Self(clientID: clientID)
        configuration.bootstrapServers = environment[bootstrapServersVariable] ?? "localhost:9092"
        for (name, value) in environment where name.hasPrefix("KAFKA_") && name != bootstrapServersVariable {
            configuration.extraProperties[propertyName(forVariable: name)] = value
        }
        return configuration
    }

    /// The librdkafka property that a `KAFKA_*` variable sets.
    public static func propertyName(forVariable name: String) -> String {
        String(name.dropFirst("KAFKA_".count)).lowercased().replacingOccurrences(of: "_", with: ".")
    }

    /// The librdkafka property that a variable name came from, for error messages.
    static func variableName(forProperty property: String) -> String {
        "KAFKA_" + property.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    var properties: [String: String] {
        var p: [String: String] = [
            "bootstrap.servers": bootstrapServers,
            "client.id": clientID,
            "socket.timeout.ms": "\(socketTimeout.milliseconds)",
        ]
        if statisticsInterval > .zero {
            p["statistics.interval.ms"] = "\(statisticsInterval.milliseconds)"
        }
        return p
    }
}

extension Duration {
    /// The duration in whole milliseconds (rounded down), as librdkafka (and SQLite-stored
    /// times) want it.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// The duration in seconds, with fractions.
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: Character, with replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
