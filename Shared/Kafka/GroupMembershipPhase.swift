// Where a group consumer is in its group's rebalances, and whether it may leave the group now.

import Synchronization

/// Where a consumer stands in its group: not a member (never subscribed, or reading partitions it
/// chose), joining (subscribed or revoked, its assignment not yet received), or holding its
/// assignment.
///
/// A member that sends LeaveGroup while its group re-forms can wedge Tansu's coordinator (0.6.0,
/// the development and test broker): if the member is the group's leader, the coordinator removes
/// it but keeps it as leader, so every later member waits for that leader's SyncGroup for ever and
/// the group never gets an assignment again. It happened both to a member closed while it was
/// joining (resumed after its session ran out, rejoined as leader, stopped before the rejoin
/// finished) and to one that held its assignment but had not yet heard that another member was
/// joining (a rolling restart: the first instance back, the second stopped at once). A member
/// cannot know the second case, so a group member never leaves: the coordinator evicts it after
/// its session timeout, which clears the leader it was. The cost: a stopped instance's partitions
/// move after the session timeout (6 s) instead of at once. Apache Kafka picks a new leader
/// either way.
final class GroupMembershipPhase: Sendable {
    enum Phase: Sendable, Equatable {
        case notMember
        case joining
        case holding
    }
    private let phase = Mutex(Phase.notMember)

    /// The current phase.
    var current: Phase { phase.withLock { $0 } }

    /// Subscribed (or subscribed again): the group assigns partitions in a rebalance.
    func subscribed() { phase.withLock { $0 = .joining } }

    /// The group revoked the assignment: a rebalance is under way.
    func revoked() { phase.withLock { if $0 != .notMember { $0 = .joining } } }

    /// The group's assignment arrived: its rebalance is over.
    func assigned() { phase.withLock { if $0 != .notMember { $0 = .holding } } }

    /// Whether closing may send LeaveGroup: only for a consumer that never joined a group.
    var leavesGroupOnClose: Bool { current == .notMember }
}
