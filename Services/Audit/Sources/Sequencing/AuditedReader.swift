// Every audit instance reads every audited partition itself.

import Foundation
import Kafka
import Logging
import RegistrySchema
import ServiceLifecycle
import ServiceRuntime
import Synchronization

/// Reads every partition of the audited topics, from where this instance's log holds each one,
/// and builds their records into ``PendingRecords`` for the ``LogApplier`` to append in the
/// log's order. A consumer group of this instance's own (``AuditService/instanceGroupSuffix``),
/// so it is given every partition; the log's offsets live in the store, and the group's committed
/// offsets only show how far the log holds each partition (`registryctl lag`, `registryctl load`).
final class AuditedReader: Service, Sendable {
    let configuration: KafkaConsumerConfiguration
    let topics: [String]
    let store: ServiceStore
    let pending: PendingRecords
    /// Learns the time from the messages read, as every consumer of the services does.
    let clock: TrustedClock
    let logger: Logger
    let decoder = RegistryEventDecoder()

    init(configuration: KafkaConsumerConfiguration, topics: [String], store: ServiceStore, pending: PendingRecords, clock: TrustedClock, logger: Logger) {
        (self.configuration, self.topics, self.store, self.pending, self.clock, self.logger) = (configuration, topics, store, pending, clock, logger)
    }

    func run() async throws {
        let (store, pending, logger) = (self.store, self.pending, self.logger)
        let hooks = KafkaRebalanceHooks(
            startOffsets: { partitions in
                let starts = try store.pool.read { db in try ConsumerOffsets.startOffsets(for: partitions, in: db) }
                for (partition, start) in starts {
                    if case .offset(let next) = start { pending.start(partition, next: next) } else { pending.start(partition, next: nil) }
                }
                return starts
            },
            offsetBeyondEnd: { anomaly in
                logger.critical(
                    "the broker has fewer messages than the audit log already holds: it lost its log. Reading only new messages. See docs/operations.md, broker loss.",
                    metadata: ["partition": "\(anomaly.partition)", "stored": "\(anomaly.requested)", "high": "\(anomaly.watermarks.high)"])
                return .offset(anomaly.watermarks.high)
            })
        let consumer = try KafkaConsumer(configuration: configuration, hooks: hooks, logger: logger)
        try consumer.subscribe(to: topics)
        await withDiscardingTaskGroup { group in
            group.addTask { await Self.commitHeld(by: pending, through: consumer) }
            await read(consumer)
            group.cancelAll()
        }
        await consumer.close()
    }

    /// Reads the topics into ``pending`` until the consumer closes (at shutdown) or a record
    /// cannot be built.
    private func read(_ consumer: KafkaConsumer) async {
        let (pending, logger) = (self.pending, self.logger)
        await withGracefulShutdownHandler {
            for await batch in consumer.batches {
                // Ends are told after the batch's records are added: an end means every message
                // before it is held or in the log.
                guard !batch.messages.isEmpty else {
                    pending.reached(batch.endOffsets)
                    continue
                }
                if let newest = batch.messages.lazy.compactMap(\.timestampMilliseconds).max() { self.clock.observe(timestampMilliseconds: newest) }
                let records: [CanonicalRecord]
                do {
                    records = try CanonicalRecord.records(of: batch.messages, decoder: self.decoder)
                } catch {
                    // Building a record depends only on the message; failing is a bug, not a
                    // state to retry past: the log must not skip the message.
                    logger.critical("could not build audit records; stopping the reader", metadata: ["error": "\(error)"])
                    break
                }
                await pending.add(records)
                pending.reached(batch.endOffsets)
            }
        } onGracefulShutdown: {
            Task { await consumer.close() }
        }
    }

    /// Every half second, commits how far the log holds each assigned partition, for `registryctl
    /// lag` and `load` (also once the reading is idle: the last records are appended after they
    /// were read).
    private static func commitHeld(by pending: PendingRecords, through consumer: KafkaConsumer) async {
        let committed = Mutex<[KafkaTopicPartition: Int64]>([:])
        await repeatUntilShutdown {
            let held = consumer.assignment
            let known = committed.withLock { $0 }
            let stored = pending.heldThrough().filter { held.contains($0.key) && known[$0.key] != $0.value }
            if !stored.isEmpty, (try? await consumer.commitAndWait(stored)) != nil {
                committed.withLock { $0.merge(stored) { _, new in new } }
            }
            return .milliseconds(500)
        }
    }
}
