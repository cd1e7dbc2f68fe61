// What the delivery engine may start: its limits overall, per receiver and per lane.

import Testing
@testable import Notification

@Suite struct DispatchRoomTests {
    /// A room behind a reference: `#expect` cannot call a mutating method on a value.
    final class Room {
        var room: DispatchRoom

        init(concurrency: Int, receiverLimit: Int) {
            room = DispatchRoom(concurrency: concurrency, receiverLimit: receiverLimit)
        }

        func take(_ receiver: String, _ subscription: String, _ person: String) -> Bool {
            room.take(receiver: receiver, lane: DueDelivery.Lane(subscription: subscription, orderKey: person))
        }

        func finish(_ receiver: String, _ subscription: String, _ person: String) {
            room.finish(receiver: receiver, lane: DueDelivery.Lane(subscription: subscription, orderKey: person))
        }
    }

    @Test func aReceiverTakesAtMostItsLimitAndOneAttemptPerLane() {
        let room = Room(concurrency: 10, receiverLimit: 2)
        #expect(room.take("a:443", "s1", "p1"))
        #expect(!room.take("a:443", "s1", "p1"), "one attempt per lane")
        #expect(room.take("a:443", "s1", "p2"))
        #expect(!room.take("a:443", "s1", "p3"), "the receiver is at its limit")
        #expect(room.room.busyReceivers == ["a:443"])
        #expect(room.take("b:443", "s2", "p3"))
        #expect(room.room.free == 7)
        #expect(room.room.isBusy(["a:443"]) && !room.room.isBusy(["a:443", "b:443"]))
        room.room.release(receiver: "a:443")
        #expect(room.room.busyReceivers.isEmpty, "the receiver answered")
        #expect(!room.take("a:443", "s1", "p1"), "the lane waits until the attempt is recorded")
        #expect(room.take("a:443", "s1", "p3"))
        room.room.release(receiver: "a:443")
        room.finish("a:443", "s1", "p1")
        #expect(room.take("a:443", "s1", "p1"), "the lane and the receiver's room are back")
    }

    @Test func nothingStartsBeyondTheOverallLimit() {
        let room = Room(concurrency: 2, receiverLimit: 4)
        #expect(room.take("a:443", "s1", "p1"))
        #expect(room.take("b:443", "s2", "p1"))
        #expect(!room.take("c:443", "s3", "p1"))
        #expect(room.room.free == 0)
        room.room.release(receiver: "b:443")
        #expect(room.room.free == 0, "an answered attempt holds its place until it is recorded")
        room.finish("b:443", "s2", "p1")
        #expect(room.room.free == 1)
        #expect(room.room.lanes == [DueDelivery.Lane(subscription: "s1", orderKey: "p1")])
    }

    /// An answered attempt frees its request slot, but a receiver has at most twice its slots of
    /// attempts not yet recorded: what a crash could send again.
    @Test func aReceiverWaitsWhenTwiceItsSlotsAreUnrecorded() {
        let room = Room(concurrency: 64, receiverLimit: 2)
        for person in ["p1", "p2", "p3", "p4"] {
            #expect(room.take("a:443", "s1", person))
            room.room.release(receiver: "a:443")
        }
        #expect(!room.take("a:443", "s1", "p5"), "four answered, none recorded")
        #expect(room.room.busyReceivers == ["a:443"])
        room.finish("a:443", "s1", "p1")
        #expect(room.take("a:443", "s1", "p5"))
        #expect(room.take("a:443", "s1", "p6") == false, "unrecorded again at twice the slots")
    }
}
