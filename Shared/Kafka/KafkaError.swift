// KafkaError: the one error type the Kafka module throws.

/// An error from the Kafka client, with librdkafka's error code (when there is one) and context.
public struct KafkaError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, in the terms a caller decides on.
    public enum Kind: Sendable, Equatable {
        /// A configuration property was rejected (unknown name or invalid value).
        case configuration
        /// The loaded librdkafka is too old to talk to current brokers (docs/architecture.md §8).
        case libraryTooOld
        /// A message could not be delivered (delivery report or synchronous produce failure).
        case delivery
        /// The consumer reported an error for a partition or the group.
        case consumer
        /// An admin request (create topics, metadata, watermarks) failed.
        case admin
        /// The operation timed out.
        case timedOut
        /// The client has been closed.
        case closed
    }

    /// The category of the failure.
    public let kind: Kind
    /// librdkafka's `rd_kafka_resp_err_t` value (0 when the error did not come from librdkafka).
    public let code: Int32
    /// librdkafka's symbolic name for ``code`` (e.g. `MSG_SIZE_TOO_LARGE`), or empty.
    public let codeName: String
    /// A human-readable explanation with context.
    public let message: String
    /// Whether the client that reported it cannot go on (a fenced or otherwise failed
    /// transactional producer): it must be replaced.
    public var isFatal = false

    /// Creates an error.
    /// - Parameters:
    ///   - kind: The category of the failure.
    ///   - code: librdkafka's error code, or 0.
    ///   - codeName: librdkafka's symbolic name for the code.
    ///   - message: A human-readable explanation.
    public init(kind: Kind, code: Int32 = 0, codeName: String = "", message: String) {
        self.kind = kind
        self.code = code
        self.codeName = codeName
        self.message = message
    }

    public var description: String {
        codeName.isEmpty ? "Kafka \(kind): \(message)" : "Kafka \(kind) [\(codeName)]: \(message)"
    }

    /// ``codeName`` as a value to compare with the names this code decides on.
    public var name: Name { Name(rawValue: codeName) }

    /// True when the message was refused for being larger than the broker or client allows.
    public var isMessageTooLarge: Bool { name == .messageTooLarge }
    /// True when the message expired in the client before it could be delivered (e.g. broker down).
    public var isMessageTimedOut: Bool { name == .messageTimedOut }
    /// True when a newer producer with the same `transactional.id` took over: this one may never
    /// write again.
    public var isFenced: Bool { [.fenced, .producerFenced, .invalidProducerEpoch].contains(name) }
    /// True when no broker could be reached (refused or lost connections, or none answered in time).
    public var isBrokerUnreachable: Bool { kind == .timedOut || [.transport, .allBrokersDown].contains(name) }

    /// librdkafka's symbolic name of an error code (`rd_kafka_err2name`): those starting with `_`
    /// are the client's own, the others the broker's. Only the names the registry decides on are
    /// listed; any other compares by its raw value.
    public struct Name: RawRepresentable, Hashable, Sendable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// `MSG_SIZE_TOO_LARGE`: larger than the broker or client allows.
        public static let messageTooLarge = Name(rawValue: "MSG_SIZE_TOO_LARGE")
        /// `_MSG_TIMED_OUT`: not delivered within `message.timeout.ms`.
        public static let messageTimedOut = Name(rawValue: "_MSG_TIMED_OUT")
        /// `OFFSET_OUT_OF_RANGE`: a fetch position outside the partition's log.
        public static let offsetOutOfRange = Name(rawValue: "OFFSET_OUT_OF_RANGE")
        /// `_FENCED`: the client's own word for a fenced transactional producer.
        public static let fenced = Name(rawValue: "_FENCED")
        /// `PRODUCER_FENCED`: the broker's.
        public static let producerFenced = Name(rawValue: "PRODUCER_FENCED")
        /// `INVALID_PRODUCER_EPOCH`: an older broker's.
        public static let invalidProducerEpoch = Name(rawValue: "INVALID_PRODUCER_EPOCH")
        /// `_TRANSPORT`: a connection failed.
        public static let transport = Name(rawValue: "_TRANSPORT")
        /// `_ALL_BROKERS_DOWN`: every broker connection is down.
        public static let allBrokersDown = Name(rawValue: "_ALL_BROKERS_DOWN")
        /// `_CONFLICT`: another call of the same transactional API is in progress.
        public static let conflict = Name(rawValue: "_CONFLICT")
        /// `_STATE`: the call is not valid in the client's current state.
        public static let state = Name(rawValue: "_STATE")
    }
}
