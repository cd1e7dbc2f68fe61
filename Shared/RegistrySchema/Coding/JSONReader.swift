// JSONReader: a strict, forward-only JSON reader for the types that read themselves.

import Foundation

/// Reads the plain JSON the registry's own services write, for types that decode themselves
/// (``JSONReadable``) without Codable's machinery.
///
/// Hand-written because decoding was the largest cost left in every service (`make bench`'s
/// profiles: Foundation's `JSONDecoder` took 20–40 % of each service's CPU, most of it in
/// Codable's generic containers rather than in parsing) and no JSON library beyond Foundation's
/// is available here.
///
/// It is a fast path, never the judge of what is valid: it reads only a strict subset of JSON
/// and gives up with ``Miss`` on anything else — a string with an escape or a control
/// character, invalid UTF-8, a number other than plain digits where an integer is read, a byte
/// order mark, nesting deeper than ``maximumDepth``, a type it does not expect, a missing field.
/// ``RegistryEventDecoder`` then decodes the same bytes with Foundation, which reports the
/// precise error (or accepts what this reader found unusual). Every value it does read is the
/// value Foundation reads from the same bytes: the first of repeated keys counts, unknown keys
/// are skipped, `null` and absence of an optional field are the same. The differential tests
/// (`FastJSONTests`, and the fuzz test's comparison) hold it to that.
public struct JSONReader {
    /// The reader gave up; decode the bytes with Foundation instead.
    public struct Miss: Error, Sendable {
        /// A miss (thrown by ``JSONReadable`` types for what they do not read).
        public init() {}
    }

    /// How deep objects and arrays may nest (Foundation allows 512; the registry's events are
    /// four levels deep).
    public static let maximumDepth = 32

    private let base: UnsafePointer<UInt8>
    private let end: Int
    private var index = 0
    private var depth = 0
    /// The keys of the objects being read (start, count pairs), to skip repeated keys.
    private var keys: [Int] = []

    private init(_ base: UnsafePointer<UInt8>, count: Int) {
        self.base = base
        self.end = count
    }

    /// Reads one whole document: `body` reads the top-level value; only whitespace may follow.
    public static func read<T>(_ bytes: UnsafeRawBufferPointer, _ body: (inout JSONReader) throws(Miss) -> T) throws(Miss) -> T {
        guard let start = bytes.baseAddress, bytes.count > 0 else { throw Miss() }
        var reader = JSONReader(start.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        reader.skipWhitespace()
        let value = try body(&reader)
        reader.skipWhitespace()
        guard reader.index == reader.end else { throw Miss() }
        return value
    }

    /// Reads a whole document of a type that reads itself.
    public static func read<T: JSONReadable>(_ type: T.Type, from bytes: UnsafeRawBufferPointer) throws(Miss) -> T {
        try read(bytes) { (reader: inout JSONReader) throws(Miss) in try T(json: &reader) }
    }

    /// Reads a whole document of a type that reads itself from an array of bytes.
    public static func read<T: JSONReadable>(_ type: T.Type, from bytes: [UInt8]) throws(Miss) -> T {
        try bytes.withUnsafeBytes { raw in Result { () throws(Miss) -> T in try read(type, from: raw) } }.get()
    }

    // MARK: Structure

    /// Reads an object: `body` is called with each key (the first time it appears) and must read
    /// or skip its value. A repeated key's value is skipped, as Foundation keeps the first.
    public mutating func readObject(_ body: (inout JSONReader, JSONKey) throws(Miss) -> Void) throws(Miss) {
        try enter(UInt8(ascii: "{"))
        let mark = keys.count
        defer { keys.removeSubrange(mark...) }
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            let (start, count, _) = try stringBytes()
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            if isRepeated(start: start, count: count, since: mark) {
                try skipValue()
            } else {
                keys.append(start)
                keys.append(count)
                try body(&self, JSONKey(base: base + start, count: count))
            }
            skipWhitespace()
            guard index < end else { throw Miss() }
            let byte = base[index]
            index += 1
            if byte == UInt8(ascii: ",") { continue }
            guard byte == UInt8(ascii: "}") else { throw Miss() }
            depth -= 1
            return
        }
    }

    /// Reads an array: `body` is called once per element and must read or skip it.
    public mutating func readArray(_ body: (inout JSONReader) throws(Miss) -> Void) throws(Miss) {
        try enter(UInt8(ascii: "["))
        skipWhitespace()
        if peek == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            try body(&self)
            skipWhitespace()
            guard index < end else { throw Miss() }
            let byte = base[index]
            index += 1
            if byte == UInt8(ascii: ",") { continue }
            guard byte == UInt8(ascii: "]") else { throw Miss() }
            depth -= 1
            return
        }
    }

    /// Reads an array whose elements read themselves.
    public mutating func readArray<T: JSONReadable>(of type: T.Type) throws(Miss) -> [T] {
        var elements: [T] = []
        try readArray { (reader: inout JSONReader) throws(Miss) in elements.append(try T(json: &reader)) }
        return elements
    }

    /// Consumes `null` if it is next.
    /// - Returns: Whether it was.
    public mutating func readNull() -> Bool {
        guard index + 4 <= end, base[index] == UInt8(ascii: "n"), base[index + 1] == UInt8(ascii: "u"),
              base[index + 2] == UInt8(ascii: "l"), base[index + 3] == UInt8(ascii: "l") else { return false }
        index += 4
        return true
    }

    /// Reads a value that reads itself, or `nil` for `null`.
    public mutating func readIfPresent<T: JSONReadable>(_ type: T.Type) throws(Miss) -> T? {
        readNull() ? nil : try T(json: &self)
    }

    /// Skips any value (validating its syntax strictly).
    public mutating func skipValue() throws(Miss) {
        guard index < end else { throw Miss() }
        switch base[index] {
        case UInt8(ascii: "{"): try readObject { (reader: inout JSONReader, _) throws(Miss) in try reader.skipValue() }
        case UInt8(ascii: "["): try readArray { (reader: inout JSONReader) throws(Miss) in try reader.skipValue() }
        case UInt8(ascii: "\""): _ = try stringBytes()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: try skipNumber()
        }
    }

    /// The bytes of the value that comes next, skipped (for reading it later with ``read(_:_:)``).
    public mutating func skipValueBytes() throws(Miss) -> UnsafeRawBufferPointer {
        let start = index
        try skipValue()
        return UnsafeRawBufferPointer(start: base + start, count: index - start)
    }

    // MARK: Scalars

    /// Reads a string (without escapes or control characters; valid UTF-8).
    public mutating func readString() throws(Miss) -> String {
        let (start, count, ascii) = try stringBytes(validating: false)
        let bytes = UnsafeBufferPointer(start: base + start, count: count)
        if ascii { return String(decoding: bytes, as: UTF8.self) }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Miss() }
        return text
    }

    /// Reads a string, or `nil` for `null`.
    public mutating func readStringIfPresent() throws(Miss) -> String? {
        readNull() ? nil : try readString()
    }

    /// Reads `true` or `false`.
    public mutating func readBool() throws(Miss) -> Bool {
        guard index < end else { throw Miss() }
        if base[index] == UInt8(ascii: "t") {
            try literal("true")
            return true
        }
        try literal("false")
        return false
    }

    /// Reads a non-negative integer written as plain digits (no sign, fraction or exponent, at
    /// most 18 digits, no leading zero).
    public mutating func readInt() throws(Miss) -> Int {
        let start = index
        var value = 0
        while index < end, base[index] >= 0x30, base[index] <= 0x39 {
            value = value * 10 + Int(base[index] - 0x30)
            index += 1
        }
        let digits = index - start
        guard digits > 0, digits <= 18, digits == 1 || base[start] != 0x30 else { throw Miss() }
        if index < end, base[index] == UInt8(ascii: ".") || base[index] == UInt8(ascii: "e") || base[index] == UInt8(ascii: "E") { throw Miss() }
        return value
    }

    /// Reads an integer, or `nil` for `null`.
    public mutating func readIntIfPresent() throws(Miss) -> Int? {
        readNull() ? nil : try readInt()
    }

    // MARK: Lexing

    private var peek: UInt8? { index < end ? base[index] : nil }

    private mutating func enter(_ opening: UInt8) throws(Miss) {
        guard index < end, base[index] == opening, depth < Self.maximumDepth else { throw Miss() }
        index += 1
        depth += 1
    }

    private mutating func expect(_ byte: UInt8) throws(Miss) {
        guard index < end, base[index] == byte else { throw Miss() }
        index += 1
    }

    private mutating func skipWhitespace() {
        while index < end {
            switch base[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func literal(_ text: StaticString) throws(Miss) {
        let count = text.utf8CodeUnitCount
        guard index + count <= end, memcmp(base + index, text.utf8Start, count) == 0 else { throw Miss() }
        index += count
    }

    /// Consumes a string; returns where its contents start, how many bytes they are and whether
    /// they are all ASCII. Non-ASCII contents are checked to be valid UTF-8 unless the caller
    /// checks them itself (`validating: false`), as Foundation refuses invalid UTF-8 anywhere.
    private mutating func stringBytes(validating: Bool = true) throws(Miss) -> (start: Int, count: Int, ascii: Bool) {
        try expect(UInt8(ascii: "\""))
        let start = index
        var high: UInt8 = 0
        while index < end {
            let byte = base[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                let count = index - 1 - start
                let ascii = high < 0x80
                if !ascii, validating, String(validating: UnsafeBufferPointer(start: base + start, count: count), as: UTF8.self) == nil { throw Miss() }
                return (start, count, ascii)
            }
            guard byte >= 0x20, byte != UInt8(ascii: "\\") else { throw Miss() }
            high |= byte
            index += 1
        }
        throw Miss()
    }

    /// Consumes a number of JSON's grammar: `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`.
    private mutating func skipNumber() throws(Miss) {
        if peek == UInt8(ascii: "-") { index += 1 }
        guard let first = peek, first >= 0x30, first <= 0x39 else { throw Miss() }
        index += 1
        if first != 0x30 { skipDigits() }
        if peek == UInt8(ascii: ".") {
            index += 1
            guard skipDigits() > 0 else { throw Miss() }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard skipDigits() > 0 else { throw Miss() }
        }
    }

    @discardableResult private mutating func skipDigits() -> Int {
        let start = index
        while index < end, base[index] >= 0x30, base[index] <= 0x39 { index += 1 }
        return index - start
    }

    private func isRepeated(start: Int, count: Int, since mark: Int) -> Bool {
        var position = mark
        while position < keys.count {
            if keys[position + 1] == count, memcmp(base + keys[position], base + start, count) == 0 { return true }
            position += 2
        }
        return false
    }
}

/// An object key as it appears in the document (no escapes), compared with literals in `switch`.
public struct JSONKey {
    let base: UnsafePointer<UInt8>
    let count: Int

    /// Whether the key is `pattern` (for `case "name":`).
    public static func ~= (pattern: StaticString, key: JSONKey) -> Bool {
        pattern.utf8CodeUnitCount == key.count && memcmp(pattern.utf8Start, key.base, key.count) == 0
    }
}

/// A type that reads itself from JSON with a ``JSONReader`` (the fast path of decoding).
///
/// `init(json:)` must read exactly what the type's `Decodable` initialiser reads from the same
/// bytes — the same fields, validated the same way — and throw ``JSONReader/Miss`` for anything
/// it is unsure of, never a different value.
public protocol JSONReadable {
    /// Reads the value that comes next.
    init(json reader: inout JSONReader) throws(JSONReader.Miss)
}

extension String: JSONReadable {
    public init(json reader: inout JSONReader) throws(JSONReader.Miss) {
        self = try reader.readString()
    }
}

extension JSONDecoder {
    /// Decodes a value that reads itself: with a ``JSONReader`` first, and with this decoder
    /// when the reader gives up (which then decides, and reports any error). For the JSON the
    /// services store and read back on their hot paths.
    public func decodeReadingFast<T: Decodable & JSONReadable>(_ type: T.Type, from data: Data) throws -> T {
        if let value = data.withUnsafeBytes({ try? JSONReader.read(T.self, from: $0) }) { return value }
        return try decode(T.self, from: data)
    }
}
