// What travels on the audit's internal log topic: the order of the log, or a request to sign a
// checkpoint at that point.

import Foundation
import Kafka

/// One message of the internal topic `audit.log.v1`: the next runs of audited messages, in the
/// order the log takes them, or a checkpoint request.
///
/// A frame carries no records, only where they are: every audit instance reads the audited
/// topics itself and builds the same records from the same messages, so the broker carries each
/// message once per reader and the order costs a few bytes per partition and frame. Every
/// instance applies this topic's single stream in order, so all hold the same leaves in the same
/// order, and a checkpoint requested at one point of the stream is signed at the same size and
/// root everywhere.
///
/// A run names the offsets it leaves out (``AuditLogRun/leftOut``): what the sequencing instance
/// did not read in it, transaction markers mostly. So every instance appends exactly the records
/// the sequencing one read, not whatever it read itself: a broker that skips a batch in one
/// instance's fetch (Tansu does, at a partition's end while producers write, docs/scaling.md)
/// makes that instance read the batch again (``LogApplier``) instead of keeping another log.
///
/// Internal: a compact binary form rather than a CloudEvent, since only audit instances read it.
/// Hand-written because it is three field types and a count; a serialisation library would add a
/// dependency for a handful of lines. Version 1 frames (`ARO1`, before runs named what they leave
/// out) are still read; this version writes `ARO2`, which earlier instances cannot read: upgrade
/// every audit instance at once (docs/operations.md).
public enum AuditLogFrame: Equatable, Sendable {
    /// Append these runs, in this order.
    case order([AuditLogRun])
    /// Sign a checkpoint here if the tree has grown since the last one.
    case checkpointRequest

    static let orderMagic = Array("ARO2".utf8)
    static let firstOrderMagic = Array("ARO1".utf8)
    static let checkpointMagic = Array("ARC1".utf8)

    /// The frame is not one this version can read.
    public struct Unreadable: Error, CustomStringConvertible {
        public let description: String
    }

    /// The frame's bytes.
    public func encoded() -> [UInt8] {
        switch self {
        case .checkpointRequest:
            return Self.checkpointMagic
        case .order(let runs):
            var out = Self.orderMagic
            out.reserveCapacity(8 + runs.reduce(0) { $0 + $1.encodedSize })
            Self.append(UInt32(runs.count), to: &out)
            for run in runs {
                let topic = Array(run.topic.utf8)
                Self.append(UInt32(topic.count), to: &out)
                out.append(contentsOf: topic)
                Self.append(UInt32(bitPattern: run.partition), to: &out)
                Self.append(UInt64(bitPattern: run.from), to: &out)
                Self.append(UInt64(bitPattern: run.through), to: &out)
                let leftOut = run.leftOut ?? []
                Self.append(UInt32(leftOut.count), to: &out)
                for range in leftOut {
                    Self.append(UInt64(bitPattern: range.lowerBound), to: &out)
                    Self.append(UInt64(bitPattern: range.upperBound), to: &out)
                }
            }
            return out
        }
    }

    /// Reads a frame.
    /// - Throws: ``Unreadable`` for anything but a frame this type wrote.
    public init(decoding bytes: [UInt8]) throws {
        var reader = Reader(bytes: bytes)
        let magic = try reader.bytes(4)
        if magic == Self.checkpointMagic, bytes.count == 4 {
            self = .checkpointRequest
            return
        }
        let namesLeftOut = magic == Self.orderMagic
        guard namesLeftOut || magic == Self.firstOrderMagic else { throw Unreadable(description: "not an audit log frame") }
        let count = Int(try reader.uint32())
        var runs: [AuditLogRun] = []
        runs.reserveCapacity(min(count, 10_000))
        for _ in 0..<count {
            let topic = String(decoding: try reader.bytes(Int(try reader.uint32())), as: UTF8.self)
            let partition = Int32(bitPattern: try reader.uint32())
            let from = Int64(bitPattern: try reader.uint64())
            let through = Int64(bitPattern: try reader.uint64())
            guard from >= 0, through >= from else { throw Unreadable(description: "a run from \(from) through \(through)") }
            var leftOut: [ClosedRange<Int64>]?
            if namesLeftOut {
                let ranges = Int(try reader.uint32())
                var list: [ClosedRange<Int64>] = []
                list.reserveCapacity(min(ranges, 10_000))
                var after = from
                for _ in 0..<ranges {
                    let (low, high) = (Int64(bitPattern: try reader.uint64()), Int64(bitPattern: try reader.uint64()))
                    // In the run, in order, apart: anything else is not a frame this type wrote.
                    guard low >= after, high >= low, high <= through, high < .max - 1 else { throw Unreadable(description: "a run from \(from) through \(through) leaving out \(low)...\(high)") }
                    list.append(low...high)
                    after = high + 2
                }
                leftOut = list
            }
            runs.append(AuditLogRun(topic: topic, partition: partition, from: from, through: through, leftOut: leftOut))
        }
        guard reader.atEnd else { throw Unreadable(description: "\(bytes.count - reader.position) bytes after the last run") }
        self = .order(runs)
    }

    /// `runs` in order, as the runs of order frames of at most about `maxBytes` each (far below
    /// a broker's message limit); a run that leaves out more than `leftOutPerRun` ranges becomes
    /// several.
    public static func orders(of runs: [AuditLogRun], maxBytes: Int = 256 * 1_024, leftOutPerRun: Int = 1_024) -> [[AuditLogRun]] {
        var frames: [[AuditLogRun]] = []
        var frame: [AuditLogRun] = []
        var bytes = 8
        for whole in runs {
            for run in whole.split(leftOutPerRun: leftOutPerRun) {
                if !frame.isEmpty, bytes + run.encodedSize > maxBytes {
                    frames.append(frame)
                    (frame, bytes) = ([], 8)
                }
                frame.append(run)
                bytes += run.encodedSize
            }
        }
        if !frame.isEmpty { frames.append(frame) }
        return frames
    }

    private static func append(_ value: UInt32, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { out.append(contentsOf: $0) }
    }

    private static func append(_ value: UInt64, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { out.append(contentsOf: $0) }
    }

    private struct Reader {
        let bytes: [UInt8]
        var position = 0

        var atEnd: Bool { position == bytes.count }

        mutating func bytes(_ count: Int) throws -> [UInt8] {
            guard count >= 0, bytes.count - position >= count else { throw Unreadable(description: "a frame ends early") }
            defer { position += count }
            return Array(bytes[position..<position + count])
        }

        mutating func uint32() throws -> UInt32 {
            try bytes(4).reduce(0) { $0 << 8 | UInt32($1) }
        }

        mutating func uint64() throws -> UInt64 {
            try bytes(8).reduce(0) { $0 << 8 | UInt64($1) }
        }
    }
}

/// The messages of one audited partition from offset `from` through `through` (both included)
/// but those in ``leftOut``, in the log's order.
public struct AuditLogRun: Equatable, Hashable, Sendable {
    public var topic: String
    public var partition: Int32
    public var from: Int64
    public var through: Int64
    /// The offsets of the run that the log leaves out, in order and apart: what the sequencing
    /// instance did not read there (transaction markers, which hold no message, or messages a
    /// broker skipped in its fetch). `nil` in a version 1 frame: the run is then what an instance
    /// holds of it (offsets the partition does not hold are skipped).
    public var leftOut: [ClosedRange<Int64>]?

    public init(topic: String, partition: Int32, from: Int64, through: Int64, leftOut: [ClosedRange<Int64>]? = []) {
        (self.topic, self.partition, self.from, self.through, self.leftOut) = (topic, partition, from, through, leftOut)
    }

    /// Its bytes in a frame.
    var encodedSize: Int { 28 + topic.utf8.count + 16 * (leftOut?.count ?? 0) }

    /// The same offsets from `start` on (`start` within the run).
    func suffix(from start: Int64) -> AuditLogRun {
        guard start > from else { return self }
        let leftOut = self.leftOut?.compactMap { range -> ClosedRange<Int64>? in
            range.upperBound < start ? nil : max(range.lowerBound, start)...range.upperBound
        }
        return AuditLogRun(topic: topic, partition: partition, from: start, through: through, leftOut: leftOut)
    }

    /// The same offsets as consecutive runs that leave out at most `leftOutPerRun` ranges each.
    func split(leftOutPerRun: Int) -> [AuditLogRun] {
        guard let leftOut, leftOut.count > leftOutPerRun else { return [self] }
        var runs: [AuditLogRun] = []
        var start = from
        for first in stride(from: 0, to: leftOut.count, by: leftOutPerRun) {
            let end = min(first + leftOutPerRun, leftOut.count)
            // Up to the message before the next chunk's first range (ranges lie apart).
            let last = end < leftOut.count ? leftOut[end].lowerBound - 1 : through
            runs.append(AuditLogRun(topic: topic, partition: partition, from: start, through: last, leftOut: Array(leftOut[first..<end])))
            start = last + 1
        }
        return runs
    }

    /// One run per partition of `runs`, from its first offset named through its last (nothing
    /// left out), in partition order.
    static func spans(of runs: [AuditLogRun]) -> [AuditLogRun] {
        var spans: [KafkaTopicPartition: AuditLogRun] = [:]
        for run in runs {
            let known = spans[run.topicPartition]
            spans[run.topicPartition] = AuditLogRun(
                topic: run.topic, partition: run.partition, from: min(known?.from ?? run.from, run.from), through: max(known?.through ?? run.through, run.through))
        }
        return spans.sorted { $0.key < $1.key }.map(\.value)
    }

    /// Whether the log takes the message at `offset` of this run's partition: in the run and not
    /// left out.
    func takes(_ offset: Int64) -> Bool {
        guard offset >= from, offset <= through else { return false }
        guard let leftOut, !leftOut.isEmpty else { return true }
        let candidate = leftOut.partitioningIndex { $0.upperBound >= offset }
        return candidate == leftOut.endIndex || !leftOut[candidate].contains(offset)
    }

    /// How many messages the log takes from this run (`nil` in a version 1 frame).
    var taken: Int64? {
        leftOut.map { leftOut in through - from + 1 - leftOut.reduce(0) { $0 + $1.upperBound - $1.lowerBound + 1 } }
    }

    /// The partition it is of.
    public var topicPartition: KafkaTopicPartition { KafkaTopicPartition(topic: topic, partition: partition) }

    /// The part of each run that a log whose next offsets are `next` lacks, in order, with
    /// `next` moved past them. A run that starts beyond a partition's next offset would leave a
    /// gap and is skipped whole (a sequencer that started ahead of the log; the log's own order
    /// then has the partition continued by another run); one that ends before it is already in.
    /// Every instance applies the same frames to the same state, so all skip and keep alike.
    public static func newParts(of runs: [AuditLogRun], next: inout [KafkaTopicPartition: Int64]) -> [AuditLogRun] {
        var parts: [AuditLogRun] = []
        for run in runs {
            let partition = run.topicPartition
            let start = max(run.from, next[partition] ?? run.from)
            if let known = next[partition], run.from > known { continue }
            guard run.through >= start else { continue }
            parts.append(run.suffix(from: start))
            next[partition] = run.through + 1
        }
        return parts
    }
}
