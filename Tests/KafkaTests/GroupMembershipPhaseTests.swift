// Unit tests: when a closing consumer may leave its group (no broker needed).

@testable import Kafka
import Testing

@Suite struct GroupMembershipPhaseTests {
    @Test func aGroupMemberNeverSendsLeaveGroup() {
        let membership = GroupMembershipPhase()
        #expect(membership.leavesGroupOnClose, "a consumer that never joined has nothing to leave")
        membership.subscribed()
        #expect(!membership.leavesGroupOnClose, "joining: the group may be forming around it")
        membership.assigned()
        #expect(!membership.leavesGroupOnClose, "holding: another member may be joining unheard of")
        membership.revoked()
        #expect(!membership.leavesGroupOnClose, "a rebalance is under way (e.g. rejoining after its session ran out)")
        membership.subscribed()
        #expect(!membership.leavesGroupOnClose, "a rejoin starts a rebalance")
    }

    @Test func partitionsAddedWithoutAGroupNeverHoldBackTheClose() {
        let membership = GroupMembershipPhase()
        membership.revoked()
        membership.assigned()
        #expect(membership.current == .notMember && membership.leavesGroupOnClose)
    }
}
