// How far the engine has applied each partition, shared by its parts.

import Kafka
import Synchronization

/// The next offset of every partition applied so far (after its last applied message, or after
/// the end a poll reached), since the partition was (last) assigned.
final class AppliedOffsets: Sendable {
    private let next = Mutex<[KafkaTopicPartition: Int64]>([:])

    /// Moves partitions forward to `offsets` (never back).
    func advance(_ offsets: [KafkaTopicPartition: Int64]) {
        next.withLock { $0.merge(offsets) { max($0, $1) } }
    }

    /// Forgets `partitions` (assigned again: they start where their assignment says).
    func forget(_ partitions: some Sequence<KafkaTopicPartition>) {
        next.withLock { next in for partition in partitions { next[partition] = nil } }
    }

    /// The next offset of `partition`, if any of it was applied.
    func next(of partition: KafkaTopicPartition) -> Int64? {
        next.withLock { $0[partition] }
    }

    /// The next offsets of the partitions in `held` that have been applied.
    func of(_ held: Set<KafkaTopicPartition>) -> [KafkaTopicPartition: Int64] {
        next.withLock { $0.filter { held.contains($0.key) } }
    }

    /// Those of `ends` that lie beyond what is applied of their partition.
    func beyond(_ ends: [KafkaTopicPartition: Int64]) -> [KafkaTopicPartition: Int64] {
        next.withLock { next in ends.filter { $0.value > (next[$0.key] ?? -1) } }
    }
}
