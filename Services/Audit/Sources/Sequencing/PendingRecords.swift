// The records an audit instance has read from the audited topics and not yet appended.

import Kafka
import ServiceLifecycle
import ServiceRuntime
import Synchronization

/// The records this instance built from the audited partitions, waiting for the log's order to
/// reach them: the ``AuditedReader`` adds them as it reads, the ``LogSequencer`` (on the instance
/// that sequences) turns what arrived into runs of the order, and the ``LogApplier`` takes them
/// when a frame of the order names them, then drops them once they are stored.
///
/// Memory is bounded: the reader waits while more than `limitBytes` are held, unless the applier
/// waits for records not read yet (the order may need a partition the reader has not reached,
/// and waiting then would wait for ever).
final class PendingRecords: Sendable {
    private struct Partition {
        /// Records in offset order, none of them in the log yet.
        var records: [CanonicalRecord] = []
        /// The next offset the log lacks (what the store says; `nil`: the log has none).
        var next: Int64?
        /// The last offset read.
        var last: Int64?
        /// The partition's end when the reader last reached it: every message before it was read
        /// (offsets after the last message may be transaction markers, which hold no message).
        var end: Int64?
    }

    private struct State {
        var partitions: [KafkaTopicPartition: Partition] = [:]
        var bytes = 0
        var applierWaiting = false
    }

    private let state = Mutex(State())
    /// The most bytes of records held before the reader waits.
    let limitBytes: Int
    /// Signalled when records arrive (for the applier).
    private let arrived = WakeSignal()
    /// Signalled when records arrive (for the sequencer).
    let fresh = WakeSignal()
    /// Signalled when records are dropped or the applier waits (for the reader).
    private let room = WakeSignal()

    /// 16 MiB: 32 MiB held no catch-up faster and cost ~10 MB more RSS (bench/results/audit-memory-ab-2026-12-07.txt).
    init(limitBytes: Int = 16 * 1_024 * 1_024) {
        self.limitBytes = limitBytes
    }

    /// Tells where the log stands in a partition the reader starts to read: it starts at `next`.
    func start(_ partition: KafkaTopicPartition, next: Int64?) {
        state.withLock { state in
            Self.update(&state, partition) { held in
                if let next { held.next = max(held.next ?? next, next) }
            }
        }
    }

    /// Adds records read (each partition's in offset order; records already held or already in
    /// the log are ignored, as after a reassignment), then waits while too much is held.
    func add(_ records: [CanonicalRecord]) async {
        state.withLock { state in Self.hold(records, in: &state) }
        arrived.signal()
        fresh.signal()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let full = state.withLock { $0.bytes > limitBytes && !$0.applierWaiting }
            guard full else { return }
            await room.wait(timeout: .seconds(1))
        }
    }

    /// Whether every run's records have been read.
    func holds(_ runs: [AuditLogRun]) -> Bool {
        state.withLock { state in
            runs.allSatisfy { run in (state.partitions[run.topicPartition]?.last ?? -1) >= run.through }
        }
    }

    /// Waits until every run's records have been read, or the service stops (then throws
    /// `CancellationError`).
    func waitFor(_ runs: [AuditLogRun]) async throws {
        guard !holds(runs) else { return }
        state.withLock { $0.applierWaiting = true }
        room.signal()
        defer { state.withLock { $0.applierWaiting = false } }
        while !holds(runs) {
            if Task.isCancelled || Task.isShuttingDownGracefully { throw CancellationError() }
            await arrived.wait(timeout: .milliseconds(500))
        }
    }

    /// The records the log takes from `run`: those of its offsets it does not leave out (in a
    /// version 1 frame, every record held in its range), and how many records held in its range
    /// it leaves out (read here but not by the sequencing instance).
    /// - Throws: ``NotRead`` if the reader has not read them all yet, or skipped some.
    func records(of run: AuditLogRun) throws -> (records: ArraySlice<CanonicalRecord>, heldLeftOut: Int) {
        try state.withLock { state in
            let held = state.partitions[run.topicPartition] ?? Partition()
            guard let last = held.last, last >= run.through else { throw NotRead(run: run) }
            // Records before `next` are dropped, and a run applied starts at or after it.
            let inRange = Self.slice(held.records, run)
            guard let taken = run.taken else { return (inRange, 0) }
            let leftOut = inRange.count(where: { !run.takes($0.facts.offset) })
            guard Int64(inRange.count - leftOut) == taken else { throw NotRead(run: run) }
            return (leftOut == 0 ? inRange : ArraySlice(inRange.filter { run.takes($0.facts.offset) }), leftOut)
        }
    }

    /// The offsets that `runs` name and the reader passed without reading (a broker that skipped
    /// them in a fetch), as runs to read again: one per partition, from the first such offset
    /// through the last.
    func missing(in runs: [AuditLogRun]) -> [AuditLogRun] {
        AuditLogRun.spans(of: state.withLock { state in
            runs.compactMap { run in
                guard let taken = run.taken, let held = state.partitions[run.topicPartition], let last = held.last, last >= run.through else { return nil }
                let inRange = Self.slice(held.records, run)
                guard Int64(inRange.count(where: { run.takes($0.facts.offset) })) < taken else { return nil }
                let have = Set(inRange.lazy.map(\.facts.offset))
                let absent = (run.from...run.through).lazy.filter { run.takes($0) && !have.contains($0) }
                guard let first = absent.first, let final = absent.last else { return nil }
                return AuditLogRun(topic: run.topic, partition: run.partition, from: first, through: final)
            }
        })
    }

    /// Adds records read again (``missing(in:)``) in their places, without waiting for room:
    /// the applier waits for them. Records held already or in the log are ignored.
    func insert(_ records: [CanonicalRecord]) {
        state.withLock { state in Self.hold(records, in: &state) }
        arrived.signal()
    }

    /// Holds each of `records` in its place, unless it is held or in the log already.
    private static func hold(_ records: [CanonicalRecord], in state: inout State) {
        for record in records {
            let partition = KafkaTopicPartition(topic: record.facts.topic, partition: Int32(record.facts.partition))
            let offset = record.facts.offset
            var added = 0
            update(&state, partition) { held in
                if let next = held.next, offset < next { return }
                if let last = held.last, offset <= last {
                    // Read again (a reassignment, or one the reader skipped): held once.
                    let place = held.records.partitioningIndex { $0.facts.offset >= offset }
                    guard place == held.records.endIndex || held.records[place].facts.offset != offset else { return }
                    held.records.insert(record, at: place)
                } else {
                    held.records.append(record)
                    held.last = offset
                }
                added = cost(record)
            }
            state.bytes += added
        }
    }

    /// The held records in `run`'s range.
    private static func slice(_ records: [CanonicalRecord], _ run: AuditLogRun) -> ArraySlice<CanonicalRecord> {
        let start = records.partitioningIndex { $0.facts.offset >= run.from }
        let end = records[start...].partitioningIndex { $0.facts.offset > run.through }
        return records[start..<end]
    }

    /// The log now holds everything before `next` in each partition: those records are dropped.
    func stored(_ next: [KafkaTopicPartition: Int64]) {
        state.withLock { state in
            for (partition, offset) in next {
                var dropped = 0
                Self.update(&state, partition) { held in
                    held.next = max(held.next ?? offset, offset)
                    let stale = held.records.partitioningIndex { $0.facts.offset >= offset }
                    dropped = held.records[..<stale].reduce(0) { $0 + Self.cost($1) }
                    // Let go now, not later in bulk: kept until 1,024 a partition had gathered,
                    // stored records held up to ~100k of them across the audited topics' 108
                    // partitions beyond `limitBytes` (audit's peak RSS 175-176 → 154-158 MB, e2e A/B).
                    held.records.removeFirst(stale)
                }
                state.bytes -= dropped
            }
        }
        room.signal()
    }

    /// Records where the reader found partitions to end.
    func reached(_ ends: [KafkaTopicPartition: Int64]) {
        state.withLock { state in
            for (partition, end) in ends {
                Self.update(&state, partition) { held in held.end = max(held.end ?? end, end) }
            }
        }
    }

    /// The next offset the log lacks of each partition read so far.
    func nextOffsets() -> [KafkaTopicPartition: Int64] {
        state.withLock { state in state.partitions.compactMapValues(\.next) }
    }

    /// How far the log holds each partition, counting the transaction markers at a partition's
    /// end once every message before them is in: what the reading group commits, so that its
    /// lag is 0 once the log holds everything.
    func heldThrough() -> [KafkaTopicPartition: Int64] {
        state.withLock { state in
            state.partitions.compactMapValues { held in
                guard let end = held.end, (held.last ?? -1) < (held.next ?? 0) else { return held.next }
                return max(held.next ?? end, end)
            }
        }
    }

    /// For the sequencer: a run per partition of what was read beyond `sequenced` (the next
    /// offset to sequence; the log's next offset when unknown or behind it), naming the offsets
    /// in it that were not read.
    func unsequenced(after sequenced: [KafkaTopicPartition: Int64]) -> [AuditLogRun] {
        state.withLock { state in
            state.partitions.compactMap { partition, held in
                guard let last = held.last else { return nil }
                let first = held.records.first?.facts.offset ?? last + 1
                let from = max(sequenced[partition] ?? held.next ?? first, held.next ?? first)
                guard last >= from else { return nil }
                var leftOut: [ClosedRange<Int64>] = []
                var expected = from
                for record in held.records[held.records.partitioningIndex { $0.facts.offset >= from }...] {
                    let offset = record.facts.offset
                    if offset > expected { leftOut.append(expected...(offset - 1)) }
                    expected = offset + 1
                }
                return AuditLogRun(topic: partition.topic, partition: partition.partition, from: from, through: last, leftOut: leftOut)
            }
            .sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
        }
    }

    /// Bytes held.
    var heldBytes: Int { state.withLock { $0.bytes } }

    /// Records held (each one's bytes are freed once the log stores it).
    var heldRecords: Int { state.withLock { $0.partitions.values.reduce(0) { $0 + $1.records.count } } }

    /// Whether the applier waits for records not read yet.
    var isApplierWaiting: Bool { state.withLock { $0.applierWaiting } }

    private static func cost(_ record: CanonicalRecord) -> Int { record.bytes.count + 256 }

    /// Changes a partition's entry in place (a copy taken out and put back would copy its
    /// records at every change).
    private static func update(_ state: inout State, _ partition: KafkaTopicPartition, _ change: (inout Partition) -> Void) {
        if state.partitions[partition] == nil { state.partitions[partition] = Partition() }
        change(&state.partitions[partition]!)
    }

    /// The order names records the reader has not read yet.
    struct NotRead: Error, CustomStringConvertible {
        let run: AuditLogRun
        var description: String { "records \(run.from)...\(run.through) of \(run.topic)/\(run.partition) have not been read yet" }
    }
}
