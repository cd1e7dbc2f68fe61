// How the instances of a service share the partitions a consumer reads.

/// Whether a consumer's partitions are split among the service's instances or read by each.
public enum ConsumerMembership: Sendable, Equatable {
    /// One consumer group: each partition is read by one instance at a time, and moves to another
    /// when that instance leaves (the service's work is split).
    case group
    /// Every instance reads every partition, without a group (reference data such as the address
    /// catalog, and replicas that answer for everyone).
    case everyPartition
}
