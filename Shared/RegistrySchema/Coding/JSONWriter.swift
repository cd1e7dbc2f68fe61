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
    private var lastKey: String?
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
    /// `name` is written as it is (the registry's keys need no escaping).
    public mutating func key(_ name: String) {
        #if DEBUG
        checkOrder(of: name)
        #endif
        openKey()
        bytes.append(contentsOf: name.utf8)
        closeKey()
    }

    /// Starts an object member whose key is known when compiling: its bytes are copied as they
    /// are, with no `String` to retain and release (a type's members, through ``field(_:_:)``).
    public mutating func key(_ name: StaticString) {
        #if DEBUG
        checkOrder(of: name.description)
        #endif
        openKey()
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        closeKey()
    }

    private mutating func openKey() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func closeKey() {
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    #if DEBUG
    private mutating func checkOrder(of name: String) {
        if let previous = lastKey {
            assert(previous.utf8.lexicographicallyPrecedes(name.utf8), "JSONWriter: key \(name) written after \(previous); keys must be in sorted order")
        }
        lastKey = name
    }
    #endif

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
    public mutating func field<T: JSONWritable>(_ name: StaticString, array elements: [T]) {
        key(name)
        array(elements)
    }

    // MARK: Scalars

    /// Writes a string, escaped as Foundation escapes it (slashes are not escaped).
    public mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        JSONStringEscaping.escape(text, into: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// Writes an integer.
    public mutating func integer<I: BinaryInteger>(_ value: I) {
        bytes.append(contentsOf: value.description.utf8)
    }

    /// Writes `true` or `false`.
    public mutating func bool(_ value: Bool) {
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// Writes `null`.
    public mutating func null() {
        bytes.append(contentsOf: "null".utf8)
    }

    /// Writes bytes that the caller has checked to be exactly one JSON value (the `data` of an
    /// event received in binary content mode, kept as it came).
    mutating func rawJSON(_ value: [UInt8]) {
        bytes.append(contentsOf: value)
    }
}

/// A type that writes its own JSON with a ``JSONWriter`` (the fast path of encoding).
///
/// `writeJSON(to:)` must write exactly the bytes its `Encodable` conformance makes Foundation's
/// `JSONEncoder` write with sorted keys: the same members (absent optionals omitted or `null`
/// exactly as `encode(to:)` does), in sorted order. An object type gets both from one list of
/// its members by conforming to ``JSONObjectFields``.
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
    /// Appends the escaped form of `text` to `output`.
    @inline(__always)
    static func escape(_ text: String, into output: inout [UInt8]) {
        let utf8 = text.utf8
        guard needsEscaping(utf8.span) else {
            output.append(contentsOf: utf8)
            return
        }
        for byte in utf8 {
            guard needsEscape(byte) else {
                output.append(byte)
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): output.append(contentsOf: #"\\"#.utf8)
            case 0x08: output.append(contentsOf: #"\b"#.utf8)
            case 0x0C: output.append(contentsOf: #"\f"#.utf8)
            case 0x0A: output.append(contentsOf: #"\n"#.utf8)
            case 0x0D: output.append(contentsOf: #"\r"#.utf8)
            case 0x09: output.append(contentsOf: #"\t"#.utf8)
            default:
                output.append(contentsOf: #"\u00"#.utf8)
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            }
        }
    }

    @inline(__always)
    private static func needsEscaping(_ utf8: Span<UInt8>) -> Bool {
        for index in utf8.indices where needsEscape(utf8[index]) { return true }
        return false
    }

    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
