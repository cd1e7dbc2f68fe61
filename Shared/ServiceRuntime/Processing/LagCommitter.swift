// Commits applied offsets to the group, only so lag is visible.

import Kafka

/// The part of ``ProcessingEngine`` that shows the group how far the service has applied
/// (engines without a ``PartitionHandover``; with one, the group's offsets say what is published).
/// The store holds the offsets that count; these commits are for lag monitoring alone.
struct LagCommitter: Sendable {
    let consumer: KafkaConsumer
    let applied: AppliedOffsets

    /// Commits a batch's next offsets, without waiting for the broker.
    func batchApplied(_ next: [KafkaTopicPartition: Int64]) {
        try? consumer.commit(next)
    }

    /// The commits after each batch are asynchronous; one lost while the broker or its group
    /// coordinator was away is not retried, and with no further messages the broker would show
    /// the partition behind for good (a service that applied its whole backlog during an outage:
    /// every commit of it failed). One retried by librdkafka after the broker returned may also
    /// land after a later one (a batch's offset after the end recorded past a transaction marker).
    /// So every 5 s the group's offsets of the partitions held are read from the broker, and those
    /// that differ from the applied ones are committed again, waiting for the broker's answer.
    func run() async {
        await repeatUntilShutdown {
            // Only partitions still held: another member's commits are not overwritten.
            let applied = self.applied.of(consumer.assignment)
            guard !applied.isEmpty, let committed = try? await offloaded({ try consumer.committedOffsets(Array(applied.keys), timeout: .seconds(5)) })
            else { return .seconds(5) }
            let differing = applied.filter { committed[$0.key] != $0.value }
            if !differing.isEmpty { try? await consumer.commitAndWait(differing) }
            return .seconds(5)
        }
    }
}
