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

    /// True when the message was refused for being larger than the broker or client allows.
    public var isMessageTooLarge: Bool { codeName == "MSG_SIZE_TOO_LARGE" }
    /// True when the message expired in the client before it could be delivered (e.g. broker down).
    public var isMessageTimedOut: Bool { codeName == "_MSG_TIMED_OUT" }
}
