// The topic catalogue of docs/architecture.md §3.

/// Every topic of the registry, with its key, cleanup policy, retention and event types (docs/architecture.md §3).
/// The raw value is the name without `REGISTRY_TOPIC_PREFIX`; ``TopicNames`` adds the prefix.
public enum RegistryTopic: String, CaseIterable, Sendable {
    /// `address.catalog.v1`: the address register's catalog, keyed by RCA, compacted.
    case addressCatalog = "address.catalog.v1"
    /// `registration.submitted.v1`: upstream submissions, keyed by IIN.
    case registrationSubmitted = "registration.submitted.v1"
    /// `registration.accepted.v1`: the system of record, keyed by IIN, kept long.
    case registrationAccepted = "registration.accepted.v1"
    /// `registration.rejected.v1`: rejections, keyed by IIN or the submission id.
    case registrationRejected = "registration.rejected.v1"
    /// `address.changed.v1`: the agencies' change feed, keyed by IIN, kept long.
    case addressChanged = "address.changed.v1"
    /// `address.current.v1`: each person's current registrations, keyed by IIN, compacted.
    case addressCurrent = "address.current.v1"
    /// `address.alerts.v1`: occupancy alerts, keyed by RCA.
    case addressAlerts = "address.alerts.v1"
    /// `access.logged.v1`: every disclosure of personal data, keyed by actor, kept long.
    case accessLogged = "access.logged.v1"
    /// `notification.outcome.v1`: webhook delivery outcomes, keyed by subscription id.
    case notificationOutcome = "notification.outcome.v1"
    /// `deadletter.v1`: poison messages, keyed by their original key, kept long.
    case deadLetter = "deadletter.v1"
    /// `audit.checkpoints.v1`: the audit's signed checkpoints, keyed by log origin, kept long,
    /// so that they are published where the audit's operator cannot take them back.
    case auditCheckpoints = "audit.checkpoints.v1"

    /// How a topic's old messages are removed (Kafka's `cleanup.policy`).
    public enum CleanupPolicy: String, Sendable {
        /// Keep the latest message per key.
        case compact
        /// Delete messages older than the retention.
        case delete
    }

    /// Partitions a topic is created with (docs/architecture.md §3).
    public static let defaultPartitions: Int32 = 12

    /// Retention of the ordinary `delete` topics: 7 days, in milliseconds.
    public static let shortRetentionMilliseconds: Int64 = 7 * 24 * 3_600_000

    /// The name without prefix, e.g. `address.catalog.v1`.
    public var baseName: String { rawValue }

    /// What the message key is (docs/architecture.md §3), for people and `registryctl`.
    public var keyDescription: String {
        switch self {
        case .addressCatalog, .addressAlerts: "RCA"
        case .registrationSubmitted, .registrationAccepted, .addressChanged, .addressCurrent: "IIN"
        case .registrationRejected: "IIN, or the submission id if no IIN can be read"
        case .accessLogged: "actor subject"
        case .notificationOutcome: "subscription id"
        case .deadLetter: "original key"
        case .auditCheckpoints: "log origin"
        }
    }

    /// Whether the topic is keyed by IIN (a rejection without a readable IIN is keyed by its
    /// submission id, but the topic is one of them). All of these must have one partition count:
    /// partition *p* of each then holds the same people (co-partitioning, docs/architecture.md §3).
    public var isKeyedByIIN: Bool {
        switch self {
        case .registrationSubmitted, .registrationAccepted, .registrationRejected, .addressChanged, .addressCurrent: true
        default: false
        }
    }

    /// The cleanup policy.
    public var cleanupPolicy: CleanupPolicy {
        switch self {
        case .addressCatalog, .addressCurrent: .compact
        default: .delete
        }
    }

    /// Whether messages are kept without a time limit ("delete (long)" in docs/architecture.md §3).
    public var isLongRetention: Bool {
        switch self {
        case .registrationAccepted, .addressChanged, .accessLogged, .deadLetter, .auditCheckpoints: true
        default: false
        }
    }

    /// The event types the topic carries.
    public var eventTypes: [EventType] {
        EventType.allCases.filter { $0.topic == self }
    }

    /// The topic configs to create it with: `cleanup.policy`, and `retention.ms` of `-1`
    /// (unlimited) for the long-lived and the compacted topics, 7 days otherwise.
    public var topicConfigs: [String: String] {
        let unlimited = isLongRetention || cleanupPolicy == .compact
        return [
            "cleanup.policy": cleanupPolicy.rawValue,
            "retention.ms": unlimited ? "-1" : String(RegistryTopic.shortRetentionMilliseconds),
        ]
    }
}
