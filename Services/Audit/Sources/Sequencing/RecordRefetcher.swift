// Reads chosen records of the audited partitions again, for an applier whose reader missed them.

import Foundation
import Kafka
import Logging
import RegistrySchema

/// Reads runs of the audited partitions again with a consumer of its own, outside any group's
/// assignment: for a ``LogApplier`` whose order names records that this instance's
/// ``AuditedReader`` passed without reading. Kafka never does that; Tansu, the development
/// broker, sometimes answers a fetch at a partition's end with a batch beyond one still being
/// written (docs/scaling.md), and that batch is in the partition when it is read again.
struct RecordRefetcher: Sendable {
    /// The reader's settings, with a group of its own (nothing is committed through it).
    let configuration: KafkaConsumerConfiguration
    let logger: Logger
    /// How long one reading may take before it is given up (and tried again by the applier).
    var timeout: Duration = .seconds(30)
    let decoder = RegistryEventDecoder()

    /// Could not read every run through its end within ``timeout``.
    struct Unfinished: Error, CustomStringConvertible {
        let partitions: [KafkaTopicPartition]
        var description: String { "could not read again through the end of \(partitions.map(\.description).joined(separator: ", "))" }
    }

    /// The records of `runs` (every offset from `from` through `through` that the partition
    /// holds), read once per partition from its first offset named through its last.
    func read(_ runs: [AuditLogRun]) async throws -> [CanonicalRecord] {
        let wanted = Dictionary(uniqueKeysWithValues: AuditLogRun.spans(of: runs).map { ($0.topicPartition, $0.from...$0.through) })
        guard !wanted.isEmpty else { return [] }
        let starts = wanted
        let consumer = try KafkaConsumer(
            configuration: configuration,
            hooks: KafkaRebalanceHooks(startOffsets: { partitions in
                Dictionary(uniqueKeysWithValues: partitions.compactMap { partition in starts[partition].map { (partition, .offset($0.lowerBound)) } })
            }),
            logger: logger)
        let watchdog = Task { [timeout] in
            try await Task.sleep(for: timeout)
            await consumer.close()
        }
        defer { watchdog.cancel() }
        var messages: [KafkaConsumerMessage] = []
        var unfinished = Set(wanted.keys)
        do {
            try await consumer.add(unfinished)
            while !unfinished.isEmpty, let batch = await consumer.poll() {
                for message in batch.messages {
                    guard let range = wanted[message.topicPartition] else { continue }
                    if range.contains(message.offset) { messages.append(message) }
                    if message.offset >= range.upperBound { unfinished.remove(message.topicPartition) }
                }
                for (partition, end) in batch.endOffsets where end > (wanted[partition]?.upperBound ?? .max) {
                    unfinished.remove(partition)
                }
            }
        } catch {
            await consumer.close()
            throw error
        }
        await consumer.close()
        guard unfinished.isEmpty else { throw Unfinished(partitions: unfinished.sorted()) }
        return try CanonicalRecord.records(of: messages, decoder: decoder)
    }
}
