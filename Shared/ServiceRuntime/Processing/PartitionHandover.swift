// How a group consumer's partitions move between the instances of a service (docs/architecture.md §6.2).

import Kafka

/// What a service does when its group moves partitions whose state it keeps.
///
/// Both run on the consumer's poll thread, inside the rebalance: ``restore(_:)`` may block until
/// the partitions' state is restored (no message of theirs is applied before it returns).
public protocol PartitionStateKeeper: Sendable {
    /// Restores the state of newly assigned `partitions` (their producers are registered already,
    /// so no earlier owner can publish for them any more).
    /// - Parameter committed: The group's committed offset of each partition that has one: where
    ///   the last owner's work ends.
    /// - Throws: When it cannot now (the engine retries).
    func restore(_ partitions: Set<KafkaTopicPartition>, committed: [KafkaTopicPartition: Int64]) throws

    /// Told that `partitions` are being taken away.
    func released(_ partitions: Set<KafkaTopicPartition>)
}

/// How a group consumer hands its partitions over from one instance to another.
///
/// With a handover, an assigned partition starts at the group's committed offset, which only
/// the partition's publisher advances (to where everything before it is published, or delivered),
/// never at this instance's own applied offset; the engine does not commit offsets itself.
public struct PartitionHandover: Sendable {
    /// Whether the assignment is ``PartitionOwnership``'s: each assigned partition's producer is
    /// registered (fencing the previous owner) before anything else.
    public var acquiresOwnership: Bool
    /// Restores a partition's state before its messages are applied.
    public var keeper: (any PartitionStateKeeper)?

    /// Creates a handover.
    public init(acquiresOwnership: Bool, keeper: (any PartitionStateKeeper)? = nil) {
        self.acquiresOwnership = acquiresOwnership
        self.keeper = keeper
    }
}
