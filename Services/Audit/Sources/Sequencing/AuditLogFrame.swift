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
/// Internal: a compact binary form rather than a CloudEvent, since only audit instances read it.
/// Hand-written because it is three field types and a count; a serialisation library would add a
/// dependency for a handful of lines.
public enum AuditLogFrame: Equatable, Sendable {
    /// Append these runs, in this order.
    case order([AuditLogRun])
    /// Sign a checkpoint here if the tree has grown since the last one.
    case checkpointRequest

    static let orderMagic = Array("ARO1".utf8)
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
            out.reserveCapacity(8 + runs.count * 48)
            Self.append(UInt32(runs.count), to: &out)
            for run in runs {
                let topic = Array(run.topic.utf8)
                Self.append(UInt32(topic.count), to: &out)
                out.append(contentsOf: topic)
                Self.append(UInt32(bitPattern: run.partition), to: &out)
                Self.append(UInt64(bitPattern: run.from), to: &out)
                Self.append(UInt64(bitPattern: run.through), to: &out)
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
        guard magic == Self.orderMagic else { throw Unreadable(description: "not an audit log frame") }
        let count = Int(try reader.uint32())
        var runs: [AuditLogRun] = []
        runs.reserveCapacity(min(count, 10_000))
        for _ in 0..<count {
            let topic = String(decoding: try reader.bytes(Int(try reader.uint32())), as: UTF8.self)
            let partition = Int32(bitPattern: try reader.uint32())
            let from = Int64(bitPattern: try reader.uint64())
            let through = Int64(bitPattern: try reader.uint64())
            guard from >= 0, through >= from else { throw Unreadable(description: "a run from \(from) through \(through)") }
            runs.append(AuditLogRun(topic: topic, partition: partition, from: from, through: through))
        }
        guard reader.atEnd else { throw Unreadable(description: "\(bytes.count - reader.position) bytes after the last run") }
        self = .order(runs)
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

/// The messages of one audited partition from offset `from` through `through` (both included;
/// offsets the partition does not hold, such as transaction markers, are skipped), in the log's
/// order.
public struct AuditLogRun: Equatable, Hashable, Sendable {
    public var topic: String
    public var partition: Int32
    public var from: Int64
    public var through: Int64

    public init(topic: String, partition: Int32, from: Int64, through: Int64) {
        (self.topic, self.partition, self.from, self.through) = (topic, partition, from, through)
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
            parts.append(AuditLogRun(topic: run.topic, partition: run.partition, from: start, through: run.through))
            next[partition] = run.through + 1
        }
        return parts
    }
}
