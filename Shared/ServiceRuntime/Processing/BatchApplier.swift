// Applies consumed batches to the store, each with its offsets, in one transaction.

import GRDB
import Kafka
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// The part of ``ProcessingEngine`` that applies what the consumer read (docs/architecture.md §6).
///
/// - Each batch, its offsets and its outgoing messages commit in one transaction.
/// - A batch that throws is retried with back-off (``retryDelays``). If it still fails, its
///   messages are applied one at a time, each with the same retries; the one that keeps failing
///   is written to `deadletter.v1` with its bytes and the error (`PROCESSING_FAILED after N
///   attempts: <error>`), and the partition moves on. Nothing is lost and nothing crash-loops.
/// - Store errors that are about the environment (disk full, read-only, I/O) are never blamed
///   on a message: the applier reports the store failing and retries until it works again.
final class BatchApplier: Sendable {
    private let store: ServiceStore
    private let processor: any BatchProcessor
    /// The input topic whose partitions' owner publishes what they cause (if any).
    private let ownedTopic: String?
    private let deadLetterMessage: @Sendable (KafkaConsumerMessage, DeadLetterReason) -> KafkaProducerMessage
    private let relay: OutboxRelay?
    /// Pauses before retrying a failed batch; after the last one, the batch is split.
    let retryDelays: [Duration]
    private let logger: Logger
    private let failing = Mutex(false)
    private let batchSize: Recorder
    private let applyTime: Metrics.Timer
    private let deadLettered: Counter
    private let messagesApplied: Counter

    init(
        store: ServiceStore, processor: any BatchProcessor, ownedTopic: String?,
        deadLetterMessage: @escaping @Sendable (KafkaConsumerMessage, DeadLetterReason) -> KafkaProducerMessage,
        relay: OutboxRelay?, retryDelays: [Duration], service: String, logger: Logger
    ) {
        self.store = store
        self.processor = processor
        self.ownedTopic = ownedTopic
        self.deadLetterMessage = deadLetterMessage
        self.relay = relay
        self.retryDelays = retryDelays
        self.logger = logger
        batchSize = Recorder(label: "engine_batch_size_messages", dimensions: [("service", service)])
        applyTime = Metrics.Timer(label: "engine_batch_apply_seconds", dimensions: [("service", service)])
        deadLettered = Counter(label: "engine_dead_letters_total", dimensions: [("service", service)])
        messagesApplied = Counter(label: "engine_messages_total", dimensions: [("service", service)])
    }

    /// Whether the store refused the last write for a reason of the machine (not ready meanwhile).
    var storeFailing: Bool { failing.withLock { $0 } }

    /// Applies `messages` (retrying, splitting, dead-lettering as above); returns once they are
    /// applied or dead-lettered, or when the service stops (then they are read again next time).
    func apply(_ messages: [KafkaConsumerMessage]) async {
        var attempt = 0
        var lastError: any Error
        while true {
            do {
                try await processor.prepare(messages)
                try await applyInTransaction(messages)
                return
            } catch where Task.isCancelled || Task.isShuttingDownGracefully {
                // Stopping while waiting: the batch is not applied, and is read again next time.
                return
            } catch where Self.isEnvironmental(error) {
                await waitForStore(error)
            } catch {
                lastError = error
                guard attempt < retryDelays.count else { break }
                logger.warning("batch failed; retrying", metadata: ["error": "\(error)", "attempt": "\(attempt + 1)", "messages": "\(messages.count)"])
                try? await Task.sleep(for: retryDelays[attempt])
                attempt += 1
            }
        }
        guard messages.count > 1 else {
            await deadLetterAlone(messages[0], error: lastError)
            return
        }
        // Isolate the culprit: one message per transaction, in order.
        logger.warning("batch keeps failing; applying its messages one at a time", metadata: ["messages": "\(messages.count)"])
        for message in messages {
            await apply([message])
        }
    }

    /// Stores `offsets` (each partition's last offset read) without a batch: the ends a poll
    /// reached beyond its last message.
    func storeOffsets(_ offsets: [KafkaTopicPartition: Int64]) async throws {
        try await store.write { db in try ConsumerOffsets.store(offsets, in: db) }
    }

    private func applyInTransaction(_ messages: [KafkaConsumerMessage]) async throws {
        let started = ContinuousClock.now
        let processor = self.processor
        let deadLetterMessage = self.deadLetterMessage
        let ownedTopic = self.ownedTopic
        let (emitted, deadLetters) = try await store.write { db in
            var transaction = BatchTransaction(db: db, ownedTopic: ownedTopic)
            try processor.apply(messages, in: &transaction)
            for (message, reason) in transaction.deadLetters {
                try transaction.emit(deadLetterMessage(message, reason), causedBy: message)
            }
            try ConsumerOffsets.store(Self.lastOffsets(messages), in: db)
            return (transaction.emitted, transaction.deadLetters.count)
        }
        failing.withLock { $0 = false }
        processor.didCommit()
        applyTime.recordNanoseconds(Int64((ContinuousClock.now - started).nanoseconds))
        batchSize.record(messages.count)
        messagesApplied.increment(by: messages.count)
        if deadLetters > 0 {
            deadLettered.increment(by: deadLetters)
            logger.warning("dead-lettered undecodable messages", metadata: ["count": "\(deadLetters)"])
        }
        if emitted > 0 { relay?.wake() }
    }

    private func deadLetterAlone(_ message: KafkaConsumerMessage, error: any Error) async {
        let letter = deadLetterMessage(message, .processingFailed(attempts: retryDelays.count + 1, error: error))
        while true {
            do {
                let owned = message.topic == ownedTopic
                try await store.write { db in
                    try Outbox.append(letter, ownerPartition: owned ? message.topicPartition.partition : nil, sourceOffset: owned ? message.offset : nil, in: db)
                    try ConsumerOffsets.store([message.topicPartition: message.offset], in: db)
                }
                deadLettered.increment()
                logger.error("dead-lettered a message that kept failing", metadata: ["partition": "\(message.topicPartition)", "offset": "\(message.offset)"])
                relay?.wake()
                return
            } catch {
                await waitForStore(error)
            }
        }
    }

    private func waitForStore(_ error: any Error) async {
        let wasFailing = failing.withLock { failing -> Bool in
            defer { failing = true }
            return failing
        }
        if !wasFailing { logger.error("the store refuses writes; not ready until it recovers", metadata: ["error": "\(error)"]) }
        try? await Task.sleep(for: .seconds(1))
    }

    /// Store failures caused by the machine, not by a message.
    static func isEnvironmental(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return [.SQLITE_FULL, .SQLITE_READONLY, .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_PERM]
            .contains(error.resultCode)
    }

    /// Each partition's last offset among `messages`.
    static func lastOffsets(_ messages: [KafkaConsumerMessage]) -> [KafkaTopicPartition: Int64] {
        var last: [KafkaTopicPartition: Int64] = [:]
        for message in messages { last[message.topicPartition] = max(last[message.topicPartition] ?? -1, message.offset) }
        return last
    }
}
