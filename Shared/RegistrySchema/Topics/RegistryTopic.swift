// The topic catalogue of DESIGN §3.

/// Every topic of the registry, with its key, cleanup policy and retention (DESIGN §3).
public enum RegistryTopic: String, CaseIterable, Sendable {
    case addressCatalog = "address.catalog.v1"
    case registrationSubmitted = "registration.submitted.v1"
    case registrationAccepted = "registration.accepted.v1"
    case registrationRejected = "registration.rejected.v1"
    case addressChanged = "address.changed.v1"
    case addressCurrent = "address.current.v1"
    case addressAlerts = "address.alerts.v1"
    case accessLogged = "access.logged.v1"
    case notificationOutcome = "notification.outcome.v1"
    case deadLetter = "deadletter.v1"

    /// How a topic's old messages are removed.
    public enum CleanupPolicy: String, Sendable {
        /// Keep the latest message per key.
        case compact
        /// Delete messages older than the retention.
        case delete
    }

    /// The name without prefix.
    public var baseName: String { rawValue }

    /// What the message key is.
    public var key: String {
        switch self {
        case .addressCatalog, .addressAlerts: "RCA"
        case .registrationSubmitted, .registrationAccepted, .addressChanged, .addressCurrent: "IIN"
        case .registrationRejected: "IIN, or the submission id if no IIN can be read"
        case .accessLogged: "actor subject"
        case .notificationOutcome: "subscription id"
        case .deadLetter: "original key"
        }
    }

    /// The cleanup policy.
    public var cleanupPolicy: CleanupPolicy {
        switch self {
        case .addressCatalog, .addressCurrent: .compact
        default: .delete
        }
    }

    /// Whether messages are kept for the long term ("delete (long)" in DESIGN §3).
    public var isLongRetention: Bool {
        switch self {
        case .registrationAccepted, .addressChanged, .accessLogged, .deadLetter: true
        default: false
        }
    }

    /// Partitions when created (DESIGN §3).
    public static let defaultPartitions: Int32 = 12

    /// The topic configs to create it with: cleanup policy and retention (unlimited for the
    /// long-lived and compacted topics, 7 days otherwise).
    public var topicConfigs: [String: String] {
        var configs = ["cleanup.policy": cleanupPolicy.rawValue]
        configs["retention.ms"] = isLongRetention || cleanupPolicy == .compact ? "-1" : "\(7 * 24 * 3_600_000)"
        return configs
    }
}

/// Topic names with `REGISTRY_TOPIC_PREFIX` applied: the one place the prefix is added.
public struct TopicNames: Sendable, Hashable {
    /// The prefix, possibly empty.
    public let prefix: String

    /// Creates names with a prefix.
    public init(prefix: String) {
        self.prefix = prefix
    }

    /// The full name of a topic.
    public func name(for topic: RegistryTopic) -> String {
        prefix + topic.baseName
    }

    /// The topic a full name refers to, if any.
    public func topic(named name: String) -> RegistryTopic? {
        guard name.hasPrefix(prefix) else { return nil }
        return RegistryTopic(rawValue: String(name.dropFirst(prefix.count)))
    }
}
