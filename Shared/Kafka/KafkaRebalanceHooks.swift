// How a consumer's owner takes part in rebalances.

/// The owner's part in a rebalance: where each newly assigned partition starts, what to do when
/// that start lies beyond the partition's end, and what to finish before partitions are revoked.
///
/// The hooks run on the consumer's poll thread, inside a poll, so they must not wait for the
/// consumer itself. Because batches are pulled one at a time, every batch handed out before a
/// revocation has been returned to the consumer's owner — and, for a pull-then-apply owner,
/// applied — when `revoked` runs.
public struct KafkaRebalanceHooks: Sendable {
    /// Returns the start offset of each assigned partition (partitions left out start from
    /// ``KafkaStartOffset/committed``). Thrown errors are reported as events and the partitions
    /// are left unassigned rather than read from a guessed offset.
    public var startOffsets: @Sendable ([KafkaTopicPartition]) throws -> [KafkaTopicPartition: KafkaStartOffset]
    /// Decides where to start when a requested offset lies beyond the partition's high watermark
    /// (the broker lost its log, docs/architecture.md §8). The anomaly is always logged at error level and
    /// published as ``KafkaConsumerEvent/offsetBeyondEnd(_:)`` too.
    public var offsetBeyondEnd: @Sendable (KafkaOffsetBeyondEnd) -> KafkaStartOffset
    /// Told which partitions are being taken away, before they are.
    public var revoked: @Sendable ([KafkaTopicPartition]) -> Void

    /// Creates hooks.
    /// - Parameters:
    ///   - startOffsets: Start offsets per assigned partition; default: the committed offsets.
    ///   - offsetBeyondEnd: Where to start instead; default: the partition's high watermark, i.e.
    ///     only messages produced after the loss.
    ///   - revoked: Called before partitions are taken away; default: nothing.
    public init(
        startOffsets: @escaping @Sendable ([KafkaTopicPartition]) throws -> [KafkaTopicPartition: KafkaStartOffset] = { _ in [:] },
        offsetBeyondEnd: @escaping @Sendable (KafkaOffsetBeyondEnd) -> KafkaStartOffset = { .offset($0.watermarks.high) },
        revoked: @escaping @Sendable ([KafkaTopicPartition]) -> Void = { _ in }
    ) {
        self.startOffsets = startOffsets
        self.offsetBeyondEnd = offsetBeyondEnd
        self.revoked = revoked
    }
}

/// Something that happened to a consumer, besides messages.
public enum KafkaConsumerEvent: Sendable {
    /// Partitions were assigned, with the offsets they start from.
    case assigned([KafkaTopicPartition: KafkaStartOffset])
    /// Partitions were revoked.
    case revoked([KafkaTopicPartition])
    /// A stored start offset lay beyond the partition's end: the broker lost its log.
    case offsetBeyondEnd(KafkaOffsetBeyondEnd)
    /// The broker reported that a fetch offset is out of range for a partition.
    case offsetOutOfRange(KafkaTopicPartition, KafkaError)
    /// An error from librdkafka (most are transient; librdkafka retries by itself).
    case error(KafkaError)
}
