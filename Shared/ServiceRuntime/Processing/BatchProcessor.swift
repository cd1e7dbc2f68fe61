// What a service supplies to the processing engine.

import GRDB
import Kafka
import RegistrySchema

/// A service's consumer logic: applies a batch of messages to its store.
///
/// ``apply(_:in:)`` runs inside the engine's write transaction; the engine stores the consumed
/// offsets and the outgoing messages in that same transaction, so the batch's effect happens
/// exactly once. Throwing rolls the whole transaction back; the engine retries, then isolates the
/// message that fails and dead-letters it.
public protocol BatchProcessor: Sendable {
    /// Applies `messages` (in partition order) within `transaction`.
    func apply(_ messages: [KafkaConsumerMessage], in transaction: inout BatchTransaction) throws

    /// Called after a batch's transaction committed (e.g. to wake work that reads what it wrote).
    func didCommit()

    /// Called before each attempt to apply `messages`, outside any transaction, to wait for what
    /// `apply` needs that arrives from elsewhere (the audit's log waits for the records it names).
    /// It may wait as long as it must; the engine stops waiting when the service stops.
    func prepare(_ messages: [KafkaConsumerMessage]) async throws
}

extension BatchProcessor {
    public func didCommit() {}
    public func prepare(_ messages: [KafkaConsumerMessage]) async throws {}
}

/// The engine's transaction, as seen by a ``BatchProcessor``.
public struct BatchTransaction {
    /// The database connection, inside the write transaction.
    public let db: Database
    /// The messages to dead-letter instead of applying (poison: undecodable input).
    public private(set) var deadLetters: [(message: KafkaConsumerMessage, reason: DeadLetterReason)] = []
    /// Messages appended to the outbox by this transaction.
    public private(set) var emitted = 0
    /// The topic whose partitions' owners alone publish what its messages cause (see
    /// ``PartitionOwnership``), if any.
    public let ownedTopic: String?

    /// A transaction over `db` (the engine makes one per batch; tests apply batches with one).
    /// - Parameter ownedTopic: See ``ownedTopic``.
    public init(db: Database, ownedTopic: String? = nil) {
        self.db = db
        self.ownedTopic = ownedTopic
    }

    /// Appends an outgoing message to the outbox, in this transaction.
    public mutating func emit(_ message: KafkaProducerMessage) throws {
        try Outbox.append(message, in: db)
        emitted += 1
    }

    /// Appends an outgoing message that `cause` led to. When `cause` is a message of
    /// ``ownedTopic``, only the owner of its partition publishes it.
    public mutating func emit(_ message: KafkaProducerMessage, causedBy cause: KafkaConsumerMessage) throws {
        if cause.topic == ownedTopic {
            try Outbox.append(message, ownerPartition: cause.topicPartition.partition, sourceOffset: cause.offset, in: db)
        } else {
            try Outbox.append(message, in: db)
        }
        emitted += 1
    }

    /// Records that `message` cannot be processed (e.g. it does not decode). The engine writes a
    /// `deadletter.v1` event for it in this transaction and moves on.
    public mutating func deadLetter(_ message: KafkaConsumerMessage, reason: DeadLetterReason) {
        deadLetters.append((message, reason))
    }

    /// Decodes `message` as a registry CloudEvent. A message that does not decode (not JSON, not
    /// UTF-8, not a CloudEvent, a type the registry does not know, a field of the wrong type, no
    /// value at all) is dead-lettered with the decoder's precise error, and `nil` is returned:
    /// the caller skips it and the partition moves on. Binary content mode is read too.
    public mutating func decode(_ message: KafkaConsumerMessage, with decoder: RegistryEventDecoder) -> RegistryEvent? {
        guard let value = message.structuredValue else {
            deadLetter(message, reason: .tombstone(expected: "an event"))
            return nil
        }
        do {
            return try decoder.decodeEvent(from: value)
        } catch {
            deadLetter(message, reason: .undecodable(error))
            return nil
        }
    }
}
