// The audit's internal log: frames, which part of a run a log lacks, and the records waiting.

import Crypto
import Foundation
import GRDB
import Kafka
import ServiceRuntime
import Synchronization
import Testing
import TestSupport
@testable import Audit

struct LogOrderTests {
    let p0 = KafkaTopicPartition(topic: "t.access.logged.v1", partition: 0)
    let p1 = KafkaTopicPartition(topic: "t.access.logged.v1", partition: 1)

    func run(_ partition: KafkaTopicPartition, _ from: Int64, _ through: Int64, leftOut: [ClosedRange<Int64>]? = []) -> AuditLogRun {
        AuditLogRun(topic: partition.topic, partition: partition.partition, from: from, through: through, leftOut: leftOut)
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
        #expect(order.encoded().count < 128, "a frame carries where the records are, not the records")
        #expect(throws: AuditLogFrame.Unreadable.self) { try AuditLogFrame(decoding: Array("{}".utf8)) }
        #expect(throws: AuditLogFrame.Unreadable.self) { try AuditLogFrame(decoding: order.encoded().dropLast()) }
        #expect(throws: AuditLogFrame.Unreadable.self) { try AuditLogFrame(decoding: order.encoded() + [0]) }
        #expect(throws: AuditLogFrame.Unreadable.self) { try AuditLogFrame(decoding: AuditLogFrame.order([run(p0, 9, 3)]).encoded()) }

        let leaving = AuditLogFrame.order([run(p0, 0, 9, leftOut: [2...3, 7...7]), run(p1, 5, 5)])
        #expect(try AuditLogFrame(decoding: leaving.encoded()) == leaving)
        for ranges: [ClosedRange<Int64>] in [[3...4, 4...5], [3...4, 5...6], [5...5, 2...2], [8...10]] {
            #expect(throws: AuditLogFrame.Unreadable.self, "\(ranges)") { try AuditLogFrame(decoding: AuditLogFrame.order([run(p0, 0, 9, leftOut: ranges)]).encoded()) }
        }
        // A version 1 frame (before runs named what they leave out) still reads: its runs take
        // whatever an instance holds in their range.
        let first: [UInt8] = Array("ARO1".utf8) + [0, 0, 0, 1, 0, 0, 0, 18] + Array(p0.topic.utf8) + [0, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 2] + [0, 0, 0, 0, 0, 0, 0, 6]
        #expect(try AuditLogFrame(decoding: first) == .order([run(p0, 2, 6, leftOut: nil)]))
    }

    @Test func aRunThatLeavesOutManyRangesIsSplitAndFramesStaySmall() {
        let leftOut: [ClosedRange<Int64>] = (Int64(0)..<2_500).map { n in (n * 3 + 1)...(n * 3 + 1) }
        let whole = run(p0, 0, 7_500, leftOut: leftOut)
        let runs = AuditLogFrame.orders(of: [whole, run(p1, 0, 4)], maxBytes: 20_000, leftOutPerRun: 1_000).flatMap { $0 }
        #expect(runs.count == 4)
        #expect(runs.first?.from == 0 && runs.dropLast().last?.through == 7_500, "consecutive runs cover the whole one")
        for (earlier, later) in zip(runs.dropLast(2), runs.dropFirst().dropLast()) { #expect(later.from == earlier.through + 1) }
        let p0Runs = runs.filter { $0.topicPartition == p0 }
        let same = (Int64(0)...7_500).allSatisfy { (offset: Int64) -> Bool in whole.takes(offset) == p0Runs.contains { $0.takes(offset) } }
        #expect(same)
        for frame in AuditLogFrame.orders(of: [whole], maxBytes: 20_000, leftOutPerRun: 1_000) {
            #expect(AuditLogFrame.order(frame).encoded().count <= 20_000)
        }
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
        #expect(pending.unsequenced(after: [:]) == [run(p0, 2, 6, leftOut: [4...4]), run(p1, 0, 0)], "from where the log stands, naming what was not read")
        #expect(pending.unsequenced(after: [p0: 7]) == [run(p1, 0, 0)])
        #expect(pending.holds([run(p0, 2, 6)]) && !pending.holds([run(p0, 2, 7)]))
        #expect(try pending.records(of: run(p0, 3, 6, leftOut: [4...4])).records.map(\.facts.offset) == [3, 5, 6])
        #expect(try pending.records(of: run(p0, 3, 6, leftOut: nil)).records.map(\.facts.offset) == [3, 5, 6], "a version 1 run takes what is held")
        #expect(throws: PendingRecords.NotRead.self) { try pending.records(of: run(p0, 3, 7)) }
        pending.stored([p0: 6])
        #expect(pending.heldRecords == 2, "what the log stored (p0 2-5) is let go at once: p0 6 and p1 0 are left")
        #expect(try pending.records(of: run(p0, 6, 6)).records.map(\.facts.offset) == [6])
        #expect(pending.unsequenced(after: [:]) == [run(p0, 6, 6), run(p1, 0, 0)])
        // Read again after a reassignment: nothing twice.
        await pending.add([5, 6, 7].map { record(p0, $0) })
        #expect(try pending.records(of: run(p0, 6, 7)).records.map(\.facts.offset) == [6, 7])

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

extension LogOrderTests {
    @Test func aRunTakesExactlyWhatTheSequencingInstanceReadAndNamesWhatTheReaderSkipped() async throws {
        let pending = PendingRecords()
        pending.start(p0, next: 0)
        // This reader skipped 3 and 4 (a broker that answered its fetch with a later batch), and
        // read 7, which the sequencing instance did not.
        await pending.add([0, 1, 2, 5, 6, 7, 8].map { record(p0, $0) })
        let named = run(p0, 0, 8, leftOut: [7...7])
        #expect(throws: PendingRecords.NotRead.self) { try pending.records(of: named) }
        #expect(pending.missing(in: [named]) == [run(p0, 3, 4)])
        #expect(pending.missing(in: [run(p0, 0, 2)]).isEmpty)
        pending.insert([3, 4, 2].map { record(p0, $0) })
        #expect(pending.missing(in: [named]).isEmpty)
        let taken = try pending.records(of: named)
        #expect(taken.records.map(\.facts.offset) == [0, 1, 2, 3, 4, 5, 6, 8])
        #expect(taken.heldLeftOut == 1)
        #expect(pending.heldRecords == 9, "2 is not held twice")
    }

    /// Two instances apply the same frames; one reader skipped records the frames name, the other
    /// read one that the sequencing instance did not: both logs hold the sequencing instance's
    /// records, leaf for leaf.
    @Test func instancesThatReadDifferentlyKeepTheSameLog() async throws {
        let key = Curve25519.Signing.PrivateKey()
        let all = (0..<40).filter { $0 % 10 != 9 }.map { record(p0, Int64($0)) }  // 9, 19, 29, 39: markers
        func instance(reading records: [CanonicalRecord], refetch: LogApplier.Refetch?) async throws -> (LogApplier, PendingRecords, ServiceStore) {
            let store = try ServiceStore(directory: NSTemporaryDirectory() + "audit-" + UUID().uuidString, name: "audit", migrations: AuditService.migrations)
            let pending = PendingRecords()
            pending.start(p0, next: nil)
            await pending.add(records)
            let signer = try CheckpointSigner(key: key, origin: "test/audit", everyRecords: 10, topic: "audit.checkpoints.v1")
            return (LogApplier(signer: signer, pending: pending, store: store, refetch: refetch), pending, store)
        }
        let (sequencing, sequencingPending, sequencingStore) = try await instance(reading: all.filter { $0.facts.offset != 22 }, refetch: nil)
        let asked = Mutex<[AuditLogRun]>([])
        let (other, _, otherStore) = try await instance(reading: all.filter { ![12, 13, 30].contains($0.facts.offset) }) { runs in
            asked.withLock { $0 += runs }
            return all.filter { record in runs.contains { $0.takes(record.facts.offset) } }
        }
        let frames = AuditLogFrame.orders(of: sequencingPending.unsequenced(after: [:]), maxBytes: 100, leftOutPerRun: 2).enumerated().map { n, runs in
            KafkaConsumerMessage(
                topicPartition: KafkaTopicPartition(topic: "audit.log.v1", partition: 0), offset: Int64(n), key: nil,
                value: AuditLogFrame.order(runs).encoded(), headers: [], timestampMilliseconds: nil)
        }
        #expect(frames.count > 1)
        for (applier, store) in [(sequencing, sequencingStore), (other, otherStore)] {
            try await applier.prepare(frames)
            try await store.write { db in
                var transaction = BatchTransaction(db: db)
                try applier.apply(frames, in: &transaction)
            }
        }
        #expect(asked.withLock { $0 } == [run(p0, 12, 30)])
        func leaves(_ store: ServiceStore) async throws -> [Int64] {
            try await store.pool.read { db in try Int64.fetchAll(db, sql: "SELECT offset FROM audit_record ORDER BY idx") }
        }
        let expected = all.map(\.facts.offset).filter { $0 != 22 }
        #expect(try await leaves(sequencingStore) == expected)
        #expect(try await leaves(otherStore) == expected, "22 left out as the sequencing instance did; 12, 13 and 30 read again")
        func root(_ store: ServiceStore) async throws -> Data { try await store.pool.read { db in try StoredTree(db).frontier().root } }
        #expect(try await root(sequencingStore) == root(otherStore))
    }
}
