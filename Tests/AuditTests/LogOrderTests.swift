// The audit's internal log: frames, which part of a run a log lacks, and the records waiting.

import Foundation
import Kafka
import Testing
import TestSupport
@testable import Audit

struct LogOrderTests {
    let p0 = KafkaTopicPartition(topic: "t.access.logged.v1", partition: 0)
    let p1 = KafkaTopicPartition(topic: "t.access.logged.v1", partition: 1)

    func run(_ partition: KafkaTopicPartition, _ from: Int64, _ through: Int64) -> AuditLogRun {
        AuditLogRun(topic: partition.topic, partition: partition.partition, from: from, through: through)
    }

    func record(_ partition: KafkaTopicPartition, _ offset: Int64) -> CanonicalRecord {
        CanonicalRecord(
            facts: RecordFacts(
                topic: partition.topic, partition: Int(partition.partition), offset: offset, eventId: "e-\(offset)", type: nil, time: nil, actor: nil,
                purpose: nil, subjects: []),
            bytes: Data("{\"offset\":\(offset)}".utf8))
    }

    @Test func framesRoundTripAndRefuseAnythingElse() throws {
        let order = AuditLogFrame.order([run(p0, 0, 9), run(p1, 5, 5)])
        #expect(try AuditLogFrame(decoding: order.encoded()) == order)
        #expect(try AuditLogFrame(decoding: AuditLogFrame.checkpointRequest.encoded()) == .checkpointRequest)
        #expect(order.encoded().count < 100, "a frame carries where the records are, not the records")
        #expect(throws: AuditLogFrame.Unreadable.self) { try AuditLogFrame(decoding: Array("{}".utf8)) }
        #expect(throws: AuditLogFrame.Unreadable.self) { try AuditLogFrame(decoding: order.encoded().dropLast()) }
        #expect(throws: AuditLogFrame.Unreadable.self) { try AuditLogFrame(decoding: order.encoded() + [0]) }
        #expect(throws: AuditLogFrame.Unreadable.self) { try AuditLogFrame(decoding: AuditLogFrame.order([run(p0, 9, 3)]).encoded()) }
    }

    @Test func aRunAddsOnlyWhatTheLogLacksAndNeverLeavesAGap() {
        var next: [KafkaTopicPartition: Int64] = [:]
        // A partition the log has nothing of starts where its first run starts.
        #expect(AuditLogRun.newParts(of: [run(p0, 0, 9), run(p1, 3, 4)], next: &next) == [run(p0, 0, 9), run(p1, 3, 4)])
        #expect(next == [p0: 10, p1: 5])
        // Two sequencers at once: the second names part of what the first did; only the rest is new.
        #expect(AuditLogRun.newParts(of: [run(p0, 5, 14)], next: &next) == [run(p0, 10, 14)])
        // Already in: nothing.
        #expect(AuditLogRun.newParts(of: [run(p0, 0, 14)], next: &next) == [])
        // Beyond the log's end: skipped whole rather than leaving offsets out.
        #expect(AuditLogRun.newParts(of: [run(p0, 16, 20), run(p1, 5, 6)], next: &next) == [run(p1, 5, 6)])
        #expect(next == [p0: 15, p1: 7])
    }

    @Test func pendingRecordsAreTakenByRunAndDroppedOnceStored() async throws {
        let pending = PendingRecords()
        pending.start(p0, next: 2)
        // Offset 4 is a transaction marker: absent from what is read.
        await pending.add([0, 1, 2, 3, 5, 6].map { record(p0, $0) } + [record(p1, 0)])
        #expect(pending.unsequenced(after: [:]) == [run(p0, 2, 6), run(p1, 0, 0)], "from where the log stands")
        #expect(pending.unsequenced(after: [p0: 7]) == [run(p1, 0, 0)])
        #expect(pending.holds([run(p0, 2, 6)]) && !pending.holds([run(p0, 2, 7)]))
        #expect(try pending.records(of: run(p0, 3, 6)).map(\.facts.offset) == [3, 5, 6])
        #expect(throws: PendingRecords.NotRead.self) { try pending.records(of: run(p0, 3, 7)) }
        pending.stored([p0: 6])
        #expect(pending.heldRecords == 2, "what the log stored (p0 2-5) is let go at once: p0 6 and p1 0 are left")
        #expect(try pending.records(of: run(p0, 6, 6)).map(\.facts.offset) == [6])
        #expect(pending.unsequenced(after: [:]) == [run(p0, 6, 6), run(p1, 0, 0)])
        // Read again after a reassignment: nothing twice.
        await pending.add([5, 6, 7].map { record(p0, $0) })
        #expect(try pending.records(of: run(p0, 6, 7)).map(\.facts.offset) == [6, 7])

        // The applier waits for records not read yet, and goes on when they come.
        let waiting = Task { try await pending.waitFor([run(p1, 1, 2)]) }
        await pending.add([record(p1, 1), record(p1, 2)])
        try await waiting.value
    }

    @Test func theReaderWaitsWhenFullUnlessTheApplierWaitsForIt() async throws {
        let pending = PendingRecords(limitBytes: 1)
        // The applier waits for a record not read yet: the reader, over its limit, still adds it.
        let applier = Task { try await pending.waitFor([run(p1, 0, 0)]) }
        try await waitUntil("the applier waits", timeout: .seconds(10), interval: .milliseconds(5)) { pending.isApplierWaiting }
        let reading = Task { await pending.add([record(p0, 0), record(p1, 0)]) }
        try await applier.value
        #expect(pending.heldBytes > pending.limitBytes)
        // Over the limit with nobody waiting: the reader goes on once records are stored.
        pending.stored([p0: 1, p1: 1])
        await reading.value
        let more = Task { await pending.add([record(p0, 1)]) }
        pending.stored([p0: 2])
        await more.value
        #expect(pending.heldBytes == 0)
    }
}

extension LogOrderTests {
    @Test func theLogHoldsAPartitionThroughItsEndOnceEveryMessageBeforeItIsIn() async {
        let pending = PendingRecords()
        pending.start(p0, next: nil)
        await pending.add([0, 1].map { record(p0, $0) })
        // Offsets 2 and 3 are transaction markers: the partition ends at 4.
        pending.reached([p0: 4, p1: 0])
        #expect(pending.heldThrough() == [p1: 0], "records 0 and 1 are not in the log yet; an empty partition is held whole")
        pending.stored([p0: 1])
        #expect(pending.heldThrough()[p0] == 1)
        pending.stored([p0: 2])
        #expect(pending.heldThrough()[p0] == 4, "everything before the markers is in")
        await pending.add([record(p0, 4)])
        #expect(pending.heldThrough()[p0] == 2, "a message read after the end is not in the log yet")
    }
}
