// SortedJSONEncoder: compact JSON with sorted keys, written straight into one byte buffer.

import Foundation

/// Encodes `Encodable` values to the bytes Foundation's `JSONEncoder` writes on Linux with
/// `[.sortedKeys, .withoutEscapingSlashes]` — compact, keys ordered by their UTF-8 bytes, `"`,
/// `\` and control characters escaped as Foundation escapes them — for values made of strings,
/// integers, booleans, nulls, objects and arrays (every registry type).
///
/// Hand-written because encoding is the largest single cost of the pipeline (`make bench`'s
/// profiles: a fifth of intake's and address-index's CPU) and no JSON library beyond
/// Foundation's is available here. Foundation builds a tree of boxed values per event; this
/// encoder appends each value to one buffer as it is encoded and, when an object ends, appends
/// its members again in key order (a few copies of small byte ranges instead of a tree). A value
/// that writes itself (``JSONWritable``), whole or as a member, is written by its ``JSONWriter``.
///
/// Anything else — floating-point numbers, `Date`, `Data`, `URL`, `Decimal`, `superEncoder`, a
/// nested container asked for a key already encoded — is left to Foundation: ``encode(_:)`` then
/// encodes the whole value with `JSONEncoder` (same options), so the output never depends on
/// which path ran.
public struct SortedJSONEncoder: Sendable {
    private let fallback: JSONEncoder

    /// Creates an encoder.
    public init() {
        fallback = JSONEncoder()
        fallback.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    /// Encodes `value` as JSON bytes.
    public func encodeBytes<T: Encodable>(_ value: T) throws -> [UInt8] {
        if let writable = value as? any JSONWritable { return Self.writtenBytes(writable) }
        do {
            return try Self.fastBytes(value)
        } catch is Unsupported {
            return [UInt8](try fallback.encode(value))
        }
    }

    /// Encodes `value` as JSON `Data`.
    public func encode<T: Encodable>(_ value: T) throws -> Data {
        if let writable = value as? any JSONWritable { return Data(Self.writtenBytes(writable)) }
        do {
            return Data(try Self.fastBytes(value))
        } catch is Unsupported {
            return try fallback.encode(value)
        }
    }

    /// A value that writes itself (``JSONWritable``): its own bytes, the same as the Codable path's.
    private static func writtenBytes(_ value: any JSONWritable) -> [UInt8] {
        JSONWriter.bytes(of: value)
    }

    /// Encodes through Codable without the fallback (for tests: throws ``Unsupported`` where Foundation would run).
    static func fastBytes<T: Encodable>(_ value: T) throws -> [UInt8] {
        let sink = JSONSink()
        if isLeftToFoundation(T.self) { throw Unsupported(reason: "\(T.self) is left to Foundation") }
        if writeScalar(value, to: sink) { return sink.bytes }
        let encoder = SlotEncoder(sink: sink)
        try value.encode(to: encoder)
        guard let range = encoder.finish(topLevel: true) else { throw Unsupported(reason: "the value encoded nothing") }
        if sink.leftToFoundation { throw Unsupported(reason: "a superEncoder or a merged nested container is left to Foundation") }
        return sink.bytes(range)
    }

    /// A value this encoder leaves to Foundation.
    struct Unsupported: Error {
        let reason: String
    }
}

// MARK: - The buffer

/// The one buffer an encoding writes into; values are ranges of it, and an object copies its
/// members' earlier ranges to the end in key order.
private final class JSONSink {
    // Only ever used by one encoding on one thread; without the run-time exclusivity checks
    // (the compiler's static checks stay) every append paid more for the check than the write.
    @exclusivity(unchecked) private(set) var storage: [UInt8] = []
    @exclusivity(unchecked) private var scratch: [UInt8] = []
    /// Set when a value asked for something this encoder leaves to Foundation (a
    /// `superEncoder`, a nested container for a key already encoded, which Foundation merges):
    /// the result is then Foundation's.
    var leftToFoundation = false

    init() {
        storage.reserveCapacity(2048)
    }

    var count: Int { storage.count }

    var bytes: [UInt8] { storage }

    func bytes(_ range: Range<Int>) -> [UInt8] {
        Array(storage[range])
    }

    @inline(__always) func append(_ byte: UInt8) {
        storage.append(byte)
    }

    func append(bytes: [UInt8]) {
        storage.append(contentsOf: bytes)
    }

    func append(_ text: String) {
        storage.append(contentsOf: text.utf8)
    }

    /// An encoder for `superEncoder`, which this encoder leaves to Foundation: what it writes
    /// is discarded and the whole value is encoded again by Foundation.
    func unsupported() -> any Encoder {
        leftToFoundation = true
        return SlotEncoder(sink: self)
    }

    /// Appends a copy of an earlier range.
    func appendCopy(_ range: Range<Int>) {
        // Through a second buffer: appending `storage[range]` to `storage` itself would share
        // the buffer with the slice and so copy the whole buffer first.
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: storage[range])
        storage.append(contentsOf: scratch)
    }

    /// Writes a string as Foundation's JSONWriter does (slashes not escaped).
    func appendString(_ string: String) {
        storage.append(UInt8(ascii: "\""))
        JSONStringEscaping.escape(string, into: &storage)
        storage.append(UInt8(ascii: "\""))
    }

    func appendInteger<I: BinaryInteger>(_ value: I) {
        storage.append(contentsOf: value.description.utf8)
    }
}

/// Writes `value` if it is a string, boolean or integer; `false` otherwise. Compares types, not
/// casts: a dynamic cast per value (conformance lookups) cost more than the writing.
@inline(__always) private func writeScalar<T>(_ value: T, to sink: JSONSink) -> Bool {
    func the<U>(_ type: U.Type) -> U { value as! U }  // T is U: checked just before
    if T.self == String.self { sink.appendString(the(String.self)) }
    else if T.self == Bool.self { sink.append(the(Bool.self) ? "true" : "false") }
    else if T.self == Int.self { sink.appendInteger(the(Int.self)) }
    else if T.self == Int64.self { sink.appendInteger(the(Int64.self)) }
    else if T.self == Int32.self { sink.appendInteger(the(Int32.self)) }
    else if T.self == Int16.self { sink.appendInteger(the(Int16.self)) }
    else if T.self == Int8.self { sink.appendInteger(the(Int8.self)) }
    else if T.self == UInt.self { sink.appendInteger(the(UInt.self)) }
    else if T.self == UInt64.self { sink.appendInteger(the(UInt64.self)) }
    else if T.self == UInt32.self { sink.appendInteger(the(UInt32.self)) }
    else if T.self == UInt16.self { sink.appendInteger(the(UInt16.self)) }
    else if T.self == UInt8.self { sink.appendInteger(the(UInt8.self)) }
    else { return false }
    return true
}

/// Types Foundation's encoder writes in its own way (numbers with fractions, dates, data, URLs).
@inline(__always) private func isLeftToFoundation<T>(_ type: T.Type) -> Bool {
    T.self == Double.self || T.self == Float.self || T.self == Date.self || T.self == Data.self || T.self == URL.self
        || T.self == Decimal.self
}

// MARK: - Containers' state

/// An object or array being encoded: its members so far, each a written range or a nested
/// container still open.
private final class Frame {
    enum Member {
        case written(Range<Int>)
        case open(Frame)
    }

    let isObject: Bool
    var keys: [String] = []
    var members: [Member] = []

    init(isObject: Bool) {
        self.isObject = isObject
    }

    func set(_ key: String, _ member: Member) {
        // A key encoded twice keeps the last value (as Foundation's dictionary does).
        if let index = keys.firstIndex(of: key) {
            members[index] = member
        } else {
            keys.append(key)
            members.append(member)
        }
    }

    /// Appends the finished container to the sink; returns its range.
    func close(into sink: JSONSink) -> Range<Int> {
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(members.count)
        for member in members {
            switch member {
            case .written(let range): ranges.append(range)
            case .open(let frame): ranges.append(frame.close(into: sink))
            }
        }
        let start = sink.count
        if isObject {
            sink.append(UInt8(ascii: "{"))
            let order = keys.indices.sorted { keys[$0].utf8.lexicographicallyPrecedes(keys[$1].utf8) }
            for (position, index) in order.enumerated() {
                if position > 0 { sink.append(UInt8(ascii: ",")) }
                sink.appendString(keys[index])
                sink.append(UInt8(ascii: ":"))
                sink.appendCopy(ranges[index])
            }
            sink.append(UInt8(ascii: "}"))
        } else {
            sink.append(UInt8(ascii: "["))
            for (position, range) in ranges.enumerated() {
                if position > 0 { sink.append(UInt8(ascii: ",")) }
                sink.appendCopy(range)
            }
            sink.append(UInt8(ascii: "]"))
        }
        return start..<sink.count
    }
}

// MARK: - The Encoder

// Coding paths are not tracked (always empty): the registry's types never throw while encoding,
// and a value this encoder cannot take is encoded again by Foundation, which reports paths.

/// Encodes one value: whichever container it asks for decides what it becomes.
private final class SlotEncoder: Encoder {
    let sink: JSONSink
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    private var frame: Frame?
    private var single: Range<Int>?

    init(sink: JSONSink) {
        self.sink = sink
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let frame = self.frame ?? Frame(isObject: true)
        self.frame = frame
        return KeyedEncodingContainer(KeyedContainer<Key>(sink: sink, frame: frame))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let frame = self.frame ?? Frame(isObject: false)
        self.frame = frame
        return UnkeyedContainer(sink: sink, frame: frame)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleContainer(encoder: self)
    }

    fileprivate func setSingle(_ range: Range<Int>) {
        single = range
    }

    /// The value's bytes; a nested value that encoded nothing is `{}` (as in Foundation).
    func finish(topLevel: Bool = false) -> Range<Int>? {
        if let frame { return frame.close(into: sink) }
        if let single { return single }
        if topLevel { return nil }
        let start = sink.count
        sink.append("{}")
        return start..<sink.count
    }
}

/// Writes any value at the sink's end and returns its range.
private func write<T: Encodable>(_ value: T, to sink: JSONSink) throws -> Range<Int> {
    let start = sink.count
    if writeScalar(value, to: sink) { return start..<sink.count }
    if isLeftToFoundation(T.self) { throw SortedJSONEncoder.Unsupported(reason: "\(T.self) is left to Foundation") }
    // A member that writes itself (an event's data, an address) is written by its own writer,
    // as at the top level, rather than through containers again.
    if let writable = value as? any JSONWritable {
        sink.append(bytes: JSONWriter.bytes(of: writable))
        return start..<sink.count
    }
    let encoder = SlotEncoder(sink: sink)
    try value.encode(to: encoder)
    return encoder.finish()!
}

@inline(__always) private func written(_ sink: JSONSink, _ body: () -> Void) -> Range<Int> {
    let start = sink.count
    body()
    return start..<sink.count
}

private let fractionUnsupported = SortedJSONEncoder.Unsupported(reason: "numbers with fractions are left to Foundation")

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let sink: JSONSink
    let frame: Frame
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) throws {
        frame.set(key.stringValue, .written(written(sink) { sink.append("null") }))
    }

    mutating func encode(_ value: String, forKey key: Key) throws {
        frame.set(key.stringValue, .written(written(sink) { sink.appendString(value) }))
    }

    mutating func encode(_ value: Bool, forKey key: Key) throws {
        frame.set(key.stringValue, .written(written(sink) { sink.append(value ? "true" : "false") }))
    }

    mutating func encode(_ value: Int, forKey key: Key) throws {
        frame.set(key.stringValue, .written(written(sink) { sink.appendInteger(value) }))
    }

    mutating func encode(_ value: Int64, forKey key: Key) throws {
        frame.set(key.stringValue, .written(written(sink) { sink.appendInteger(value) }))
    }

    mutating func encode(_ value: Double, forKey key: Key) throws { throw fractionUnsupported }
    mutating func encode(_ value: Float, forKey key: Key) throws { throw fractionUnsupported }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        frame.set(key.stringValue, .written(try write(value, to: sink)))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let nested = Frame(isObject: true)
        if frame.keys.contains(key.stringValue) { sink.leftToFoundation = true }
        frame.set(key.stringValue, .open(nested))
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(sink: sink, frame: nested))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = Frame(isObject: false)
        if frame.keys.contains(key.stringValue) { sink.leftToFoundation = true }
        frame.set(key.stringValue, .open(nested))
        return UnkeyedContainer(sink: sink, frame: nested)
    }

    mutating func superEncoder() -> any Encoder { sink.unsupported() }
    mutating func superEncoder(forKey key: Key) -> any Encoder { sink.unsupported() }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let sink: JSONSink
    let frame: Frame
    var codingPath: [any CodingKey] { [] }
    var count: Int { frame.members.count }

    mutating func encodeNil() throws {
        frame.members.append(.written(written(sink) { sink.append("null") }))
    }

    mutating func encode(_ value: String) throws {
        frame.members.append(.written(written(sink) { sink.appendString(value) }))
    }

    mutating func encode(_ value: Double) throws { throw fractionUnsupported }
    mutating func encode(_ value: Float) throws { throw fractionUnsupported }

    mutating func encode<T: Encodable>(_ value: T) throws {
        frame.members.append(.written(try write(value, to: sink)))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = Frame(isObject: true)
        frame.members.append(.open(nested))
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(sink: sink, frame: nested))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = Frame(isObject: false)
        frame.members.append(.open(nested))
        return UnkeyedContainer(sink: sink, frame: nested)
    }

    mutating func superEncoder() -> any Encoder { sink.unsupported() }
}

private struct SingleContainer: SingleValueEncodingContainer {
    let encoder: SlotEncoder
    var codingPath: [any CodingKey] { [] }

    private func put(_ body: () -> Void) {
        encoder.setSingle(written(encoder.sink, body))
    }

    mutating func encodeNil() throws { put { encoder.sink.append("null") } }
    mutating func encode(_ value: Bool) throws { put { encoder.sink.append(value ? "true" : "false") } }
    mutating func encode(_ value: String) throws { put { encoder.sink.appendString(value) } }
    mutating func encode(_ value: Double) throws { throw fractionUnsupported }
    mutating func encode(_ value: Float) throws { throw fractionUnsupported }
    mutating func encode(_ value: Int) throws { put { encoder.sink.appendInteger(value) } }
    mutating func encode(_ value: Int8) throws { put { encoder.sink.appendInteger(value) } }
    mutating func encode(_ value: Int16) throws { put { encoder.sink.appendInteger(value) } }
    mutating func encode(_ value: Int32) throws { put { encoder.sink.appendInteger(value) } }
    mutating func encode(_ value: Int64) throws { put { encoder.sink.appendInteger(value) } }
    mutating func encode(_ value: UInt) throws { put { encoder.sink.appendInteger(value) } }
    mutating func encode(_ value: UInt8) throws { put { encoder.sink.appendInteger(value) } }
    mutating func encode(_ value: UInt16) throws { put { encoder.sink.appendInteger(value) } }
    mutating func encode(_ value: UInt32) throws { put { encoder.sink.appendInteger(value) } }
    mutating func encode(_ value: UInt64) throws { put { encoder.sink.appendInteger(value) } }

    mutating func encode<T: Encodable>(_ value: T) throws {
        encoder.setSingle(try write(value, to: encoder.sink))
    }
}
