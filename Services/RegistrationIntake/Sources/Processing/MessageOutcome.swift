// What handling one input message produced.

import Kafka
import ServiceRuntime

/// The effects of one input message, for the engine's transaction to carry out.
struct MessageOutcome: Sendable {
    /// What the message was, for metrics and tests.
    enum Kind: Equatable, Sendable {
        case accepted(sequence: Int)
        case rejected([String])
        case duplicate
        case catalogUpdated
        case unreadable
        /// The person lives in another partition of the submitted topic: the submission is sent
        /// there, to be decided by that partition's owner.
        case misrouted(home: Int32)
    }

    let kind: Kind
    /// Events for the outbox.
    var emitted: [KafkaProducerMessage] = []
    /// Set when the message itself goes to `deadletter.v1`, with why.
    var deadLetter: DeadLetterReason?
}
