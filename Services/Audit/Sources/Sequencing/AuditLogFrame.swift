// What travels on the audit's internal log topic: records in the order of the log, or a request
// to sign a checkpoint at that point.

import Foundation

/// One message of the internal topic `audit.log.v1` (``AuditService/logTopic``): a run of
/// records the sequencer built from consumed messages, in order, or a checkpoint request.
///
/// Every audit instance applies this topic's single stream in order, so every instance's tree
/// has the same leaves in the same order, and a checkpoint requested at one point of the stream
/// is signed at the same size and root everywhere. It is internal: a compact binary form rather
/// than a CloudEvent, since it carries records (each already canonical JSON) and only audit
/// instances read it. Hand-written because it is four field types and a length prefix; a general
/// serialisation library would add a dependency and a second canonical form of the record.
public enum AuditLogFrame: Equatable, Sendable {
    /// Records to append, in order.
    case records([CanonicalRecord])
    /// Sign a checkpoint here if the tree has grown since the last one.
    case checkpointRequest

    static let recordsMagic = Array("ARL1".utf8)
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
        case .records(let records):
            var out = Self.recordsMagic
            out.reserveCapacity(records.reduce(8) { $0 + $1.bytes.count + 160 })
            Self.append(UInt32(records.count), to: &out)
            for canonical in records {
                let record = canonical.facts
                Self.append(record.topic, to: &out)
                Self.append(UInt32(truncatingIfNeeded: record.partition), to: &out)
                Self.append(UInt64(bitPattern: record.offset), to: &out)
                for optional in [record.eventId, record.type, record.time, record.actor, record.purpose] {
                    Self.append(optional, to: &out)
                }
                Self.append(UInt32(record.subjects.count), to: &out)
                for subject in record.subjects { Self.append(subject, to: &out) }
                Self.append(UInt32(canonical.bytes.count), to: &out)
                out.append(contentsOf: canonical.bytes)
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
        guard magic == Self.recordsMagic else { throw Unreadable(description: "not an audit log frame") }
        let count = Int(try reader.uint32())
        var records: [CanonicalRecord] = []
        records.reserveCapacity(min(count, 100_000))
        for _ in 0..<count {
            let topic = try reader.string()
            let partition = Int(Int32(bitPattern: try reader.uint32()))
            let offset = Int64(bitPattern: try reader.uint64())
            let (eventId, type, time, actor, purpose) = (try reader.optional(), try reader.optional(), try reader.optional(), try reader.optional(), try reader.optional())
            var subjects: [String] = []
            for _ in 0..<Int(try reader.uint32()) { subjects.append(try reader.string()) }
            let leaf = Data(try reader.bytes(Int(try reader.uint32())))
            records.append(CanonicalRecord(
                facts: RecordFacts(
                    topic: topic, partition: partition, offset: offset, eventId: eventId, type: type, time: time, actor: actor, purpose: purpose,
                    subjects: subjects), bytes: leaf))
        }
        guard reader.atEnd else { throw Unreadable(description: "\(bytes.count - reader.position) bytes after the last record") }
        self = .records(records)
    }

    private static func append(_ value: UInt32, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { out.append(contentsOf: $0) }
    }

    private static func append(_ value: UInt64, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { out.append(contentsOf: $0) }
    }

    private static func append(_ text: String, to out: inout [UInt8]) {
        let utf8 = Array(text.utf8)
        append(UInt32(utf8.count), to: &out)
        out.append(contentsOf: utf8)
    }

    private static func append(_ text: String?, to out: inout [UInt8]) {
        guard let text else {
            append(UInt32.max, to: &out)
            return
        }
        append(text, to: &out)
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

        mutating func string() throws -> String {
            let length = try uint32()
            guard length != UInt32.max else { throw Unreadable(description: "a required string is absent") }
            return String(decoding: try bytes(Int(length)), as: UTF8.self)
        }

        mutating func optional() throws -> String? {
            let length = try uint32()
            return length == UInt32.max ? nil : String(decoding: try bytes(Int(length)), as: UTF8.self)
        }
    }
}
