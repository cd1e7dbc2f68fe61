// JSONWriter: compact JSON with sorted keys, for the types that write themselves.

/// Writes the bytes Foundation's `JSONEncoder` writes with `[.sortedKeys, .withoutEscapingSlashes]`
/// for types that write themselves (``JSONWritable``), without Codable's machinery.
///
/// Hand-written for the same reason as ``SortedJSONEncoder`` (which uses it for every
/// ``JSONWritable`` value): encoding events was a fifth of intake's and address-index's CPU, and
/// most of what remained after ``SortedJSONEncoder`` was Codable's containers, key strings and
/// per-object sorting. Here a type names its keys in sorted order itself (checked in debug
/// builds), so nothing is sorted or boxed at run time. Tests compare the bytes with Foundation's
/// for every golden vector.
public struct JSONWriter {
    /// What has been written.
    public private(set) var bytes: [UInt8] = []
    private var needsComma = false
    #if DEBUG
    private var lastKey: StaticString?
    #endif

    /// Creates an empty writer.
    public init(capacity: Int = 1024) {
        bytes.reserveCapacity(capacity)
    }

    /// Writes a whole value and returns its bytes.
    public static func bytes(of value: some JSONWritable) -> [UInt8] {
        var writer = JSONWriter()
        value.writeJSON(to: &writer)
        return writer.bytes
    }

    // MARK: Containers

    /// Writes an object: `body` writes its members with ``key(_:)`` and a value each, keys in
    /// ascending order of their UTF-8 bytes.
    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        let outer = needsComma
        needsComma = false
        #if DEBUG
        let outerKey = lastKey
        lastKey = nil
        #endif
        body(&self)
        bytes.append(UInt8(ascii: "}"))
        needsComma = outer
        #if DEBUG
        lastKey = outerKey
        #endif
    }

    /// Writes an array of values that write themselves.
    public mutating func array<S: Sequence>(_ elements: S) where S.Element: JSONWritable {
        bytes.append(UInt8(ascii: "["))
        var first = true
        for element in elements {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            element.writeJSON(to: &self)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Starts an object member: its key, which must sort after the previous one's.
    public mutating func key(_ name: StaticString) {
        #if DEBUG
        if let previous = lastKey {
            let ordered = UnsafeBufferPointer(start: previous.utf8Start, count: previous.utf8CodeUnitCount)
                .lexicographicallyPrecedes(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            assert(ordered, "JSONWriter: key \(name) written after \(previous); keys must be in sorted order")
        }
        lastKey = name
        #endif
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// Writes a member whose value writes itself; `nil` as `null`.
    public mutating func field<T: JSONWritable>(_ name: StaticString, _ value: T?) {
        key(name)
        if let value { value.writeJSON(to: &self) } else { null() }
    }

    /// Writes a member only when the value is present (Codable's `encodeIfPresent`).
    public mutating func fieldIfPresent<T: JSONWritable>(_ name: StaticString, _ value: T?) {
        guard let value else { return }
        key(name)
        value.writeJSON(to: &self)
    }

    /// Writes a member whose value is an array.
    public mutating func field<S: Sequence>(_ name: StaticString, array elements: S) where S.Element: JSONWritable {
        key(name)
        array(elements)
    }

    // MARK: Scalars

    /// Writes a string, escaped as Foundation escapes it (slashes are not escaped).
    public mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in JSONStringEscaping.escape(utf8) { bytes.append(contentsOf: $0) } }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Writes an integer.
    public mutating func integer<I: BinaryInteger>(_ value: I) {
        var text = value.description
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// Writes `true` or `false`.
    public mutating func bool(_ value: Bool) {
        bytes.append(contentsOf: value ? [0x74, 0x72, 0x75, 0x65] : [0x66, 0x61, 0x6C, 0x73, 0x65])
    }

    /// Writes `null`.
    public mutating func null() {
        bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
    }
}

/// A type that writes its own JSON with a ``JSONWriter`` (the fast path of encoding).
///
/// `writeJSON(to:)` must write exactly the bytes its `Encodable` conformance makes Foundation's
/// `JSONEncoder` write with sorted keys: the same members (absent optionals omitted or `null`
/// exactly as `encode(to:)` does), in sorted order.
public protocol JSONWritable {
    /// Writes the value.
    func writeJSON(to writer: inout JSONWriter)
}

extension String: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) { writer.string(self) }
}

extension Int: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) { writer.integer(self) }
}

extension Int64: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) { writer.integer(self) }
}

extension Bool: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) { writer.bool(self) }
}

extension RawRepresentable where Self: JSONWritable, RawValue == String {
    /// Writes the raw string (identifiers and the contract's enumerations).
    public func writeJSON(to writer: inout JSONWriter) { writer.string(rawValue) }
}

extension RawRepresentable where Self: JSONReadable, RawValue == String {
    /// Reads the raw string; a value `init(rawValue:)` refuses is a miss (Foundation then
    /// reports it precisely).
    public init(json reader: inout JSONReader) throws(JSONReader.Miss) {
        guard let value = Self(rawValue: try reader.readString()) else { throw JSONReader.Miss() }
        self = value
    }
}

extension LosslessStringConvertible where Self: JSONWritable {
    /// Writes ``description`` (dates and timestamps, whose `Codable` form it is).
    public func writeJSON(to writer: inout JSONWriter) { writer.string(description) }
}

extension LosslessStringConvertible where Self: JSONReadable {
    /// Reads the string form; one `init(_:)` refuses is a miss (Foundation then reports it).
    public init(json reader: inout JSONReader) throws(JSONReader.Miss) {
        guard let value = Self(try reader.readString()) else { throw JSONReader.Miss() }
        self = value
    }
}

/// How Foundation's JSON writer escapes a string, shared by ``JSONWriter`` and
/// ``SortedJSONEncoder``: `"` and `\` with a backslash, the control characters with their short
/// escapes or `\u00XX`; everything else (slashes and non-ASCII included) as it is.
enum JSONStringEscaping {
    /// Calls `emit` with consecutive pieces of the escaped form of `utf8`.
    @inline(__always)
    static func escape(_ utf8: UnsafeBufferPointer<UInt8>, _ emit: (UnsafeBufferPointer<UInt8>) -> Void) {
        func emitText(_ text: StaticString) { emit(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)) }
        var mark = 0
        for index in 0..<utf8.count {
            let byte = utf8[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            if index > mark { emit(UnsafeBufferPointer(rebasing: utf8[mark..<index])) }
            mark = index + 1
            switch byte {
            case UInt8(ascii: "\""): emitText("\\\"")
            case UInt8(ascii: "\\"): emitText("\\\\")
            case 0x08: emitText("\\b")
            case 0x0C: emitText("\\f")
            case 0x0A: emitText("\\n")
            case 0x0D: emitText("\\r")
            case 0x09: emitText("\\t")
            default:
                emitText("\\u00")
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2) { hex in
                    hex[0] = hexDigits[Int(byte >> 4)]
                    hex[1] = hexDigits[Int(byte & 0x0F)]
                    emit(UnsafeBufferPointer(hex))
                }
            }
        }
        if utf8.count > mark { emit(UnsafeBufferPointer(rebasing: utf8[mark...])) }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}

