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

    /// A value that was skipped, to be read later with ``read(_:_:)-(Skipped,_)`` (the
    /// CloudEvent `data` member, read by type once the envelope is known).
    public struct Skipped: Sendable {
        fileprivate let range: Range<Int>
    }

    /// Where ``readMembers(_:)`` is in its object.
    private struct MemberScan {
        enum State { case first, more, closed, outside }
        /// Where the object's entries in `keys` start.
        var mark: Int
        /// After the last member scanned (or the opening brace).
        var cursor: Int
        /// Whether no member, some or all (the closing brace too) were scanned; `outside` when no
        /// ``readMembers(_:)`` is reading (``member(_:_:)`` may not be called then).
        var state: State
    }

    /// How deep objects and arrays may nest (Foundation allows 512; the registry's events are
    /// four levels deep).
    public static let maximumDepth = 32

    // Indices into an array rather than a pointer: every read is bounds-checked, and nothing
    // refers to the caller's bytes once reading ends.
    private let bytes: [UInt8]
    private var end: Int
    private var index: Int
    private var depth = 0
    /// The keys of the objects being read: (start, count) pairs for ``readObject(_:)``, to skip
    /// repeated keys; entries of ``entryWidth`` for ``readMembers(_:)``, to find them.
    private var keys: [Int] = []
    /// The object ``readMembers(_:)`` reads: where its entries in `keys` start, where scanning
    /// goes on (after the last member scanned) and how far it got.
    private var members = MemberScan(mark: 0, cursor: 0, state: .outside)

    private init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.index = 0
        self.end = bytes.count
    }

    /// Reads one whole document: `body` reads the top-level value; only whitespace may follow.
    public static func read<T>(_ bytes: [UInt8], _ body: (inout JSONReader) throws(Miss) -> T) throws(Miss) -> T {
        guard !bytes.isEmpty else { throw Miss() }
        var reader = JSONReader(bytes)
        return try reader.readWhole(body)
    }

    /// Reads a whole document of a type that reads itself.
    public static func read<T: JSONReadable>(_ type: T.Type, from bytes: [UInt8]) throws(Miss) -> T {
        try read(bytes) { (reader: inout JSONReader) throws(Miss) in try T(json: &reader) }
    }

    /// Reads a value skipped earlier with ``skipValueForLater()`` as a document of its own
    /// (whitespace around it allowed, nothing else), then goes on where the reader was.
    public mutating func read<T>(_ skipped: Skipped, _ body: (inout JSONReader) throws(Miss) -> T) throws(Miss) -> T {
        let (resumeAt, resumeEnd, resumeDepth) = (index, end, depth)
        defer { (index, end, depth) = (resumeAt, resumeEnd, resumeDepth) }
        (index, end, depth) = (skipped.range.lowerBound, skipped.range.upperBound, 0)
        return try readWhole(body)
    }

    private mutating func readWhole<T>(_ body: (inout JSONReader) throws(Miss) -> T) throws(Miss) -> T {
        skipWhitespace()
        let value = try body(&self)
        skipWhitespace()
        guard index == end else { throw Miss() }
        return value
    }

    // MARK: Structure

    /// Reads an object: `body` is called with each key (the first time it appears) and must read
    /// or skip its value. A repeated key's value is skipped, as Foundation keeps the first.
    public mutating func readObject(_ body: (inout JSONReader, JSONKey) throws(Miss) -> Void) throws(Miss) {
        let mark = keys.count
        let outer = members
        members = MemberScan(mark: mark, cursor: index, state: .outside)
        defer {
            keys.removeSubrange(mark...)
            members = outer
        }
        try readContainer(UInt8(ascii: "{"), UInt8(ascii: "}")) { (reader: inout JSONReader) throws(Miss) in
            let (start, count) = try reader.readMemberKey()
            if reader.isRepeated(start: start, count: count, since: mark) {
                try reader.skipValue()
            } else {
                reader.keys.append(start)
                reader.keys.append(count)
                try body(&reader, JSONKey(document: reader.bytes, start: start, count: count))
            }
        }
    }

    /// Reads an object whose members `body` asks for by name (``member(_:_:)``), in any order;
    /// members it does not ask for are skipped. Of repeated keys the first counts.
    ///
    /// Members asked for in the order the document has them are read in one pass. A member asked
    /// for later than the document has it is found by passing the members before it with a
    /// structural skip (brackets and string bounds only) and read strictly when asked for; every
    /// member passed that way and never asked for is checked strictly before the object ends, so
    /// nothing is accepted that the strict skip would refuse.
    public mutating func readMembers<T>(_ body: (inout JSONReader) throws(Miss) -> T) throws(Miss) -> T {
        try enter(UInt8(ascii: "{"))
        let outer = members
        defer {
            keys.removeSubrange(members.mark...)
            members = outer
        }
        members = MemberScan(mark: keys.count, cursor: index, state: .first)
        let value = try body(&self)
        var entry = members.mark
        while entry < keys.count {
            if keys[entry + 4] == 0 {
                index = keys[entry + 2]
                try skipValue()
                guard index == keys[entry + 3] else { throw Miss() }
            }
            entry += Self.entryWidth
        }
        while try scanMember() != nil {
            try skipValue()
            members.cursor = index
        }
        depth -= 1
        return value
    }

    /// The value of the member `key` of the object ``readMembers(_:)`` reads, read by `body`;
    /// `nil` when the object has no such member.
    public mutating func member<T>(_ key: StaticString, _ body: (inout JSONReader) throws(Miss) -> T) throws(Miss) -> T? {
        precondition(members.state != .outside, "member(_:_:) is for the body of readMembers(_:)")
        let count = key.utf8CodeUnitCount
        var entry = members.mark
        while entry < keys.count {
            if keys[entry + 1] == count, sameBytes(keys[entry], key) {
                index = keys[entry + 2]
                let value = try body(&self)
                guard index == keys[entry + 3] else { throw Miss() }
                keys[entry + 4] = 1
                return value
            }
            entry += Self.entryWidth
        }
        while let (start, found) = try scanMember() {
            let valueStart = index
            if found == count, sameBytes(start, key) {
                let value = try body(&self)
                record(start, found, valueStart, read: true)
                return value
            }
            try skipStructure()
            record(start, found, valueStart, read: false)
        }
        return nil
    }

    /// Records the member just passed (its value ends where the reader is) and moves the cursor past it.
    private mutating func record(_ keyStart: Int, _ keyCount: Int, _ valueStart: Int, read: Bool) {
        keys.append(keyStart)
        keys.append(keyCount)
        keys.append(valueStart)
        keys.append(index)
        keys.append(read ? 1 : 0)
        members.cursor = index
    }

    /// How many `keys` elements ``readMembers(_:)`` uses per member: key start, key count, value
    /// start, value end, and 1 once the value was read strictly (0 while only skipped structurally).
    private static let entryWidth = 5

    /// Skips the value that comes next by its structure only: to the bracket that closes it, or
    /// past the scalar. Strings are bounded as ``scanString(from:)`` does (no escapes, no
    /// control characters); nothing else is checked, so the caller must read the value strictly
    /// before it counts.
    private mutating func skipStructure() throws(Miss) {
        guard index < end else { throw Miss() }
        switch bytes[index] {
        case UInt8(ascii: "{"), UInt8(ascii: "["): index = try closingBracket(from: index) + 1
        case UInt8(ascii: "\""): index = try scanString(from: index + 1).closing + 1
        default: try skipValue()
        }
    }

    /// Where the object or array that opens at `start` closes, by its brackets and string bounds.
    private func closingBracket(from start: Int) throws(Miss) -> Int {
        let span = bytes.span
        var nesting = 0
        var position = start
        while position < end {
            switch span[position] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                nesting += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                nesting -= 1
                if nesting == 0 { return position }
            case UInt8(ascii: "\""):
                position = try scanString(from: position + 1).closing
            default:
                break
            }
            position += 1
        }
        throw Miss()
    }

    /// Moves to the next member after the cursor and reads its key; returns where the key's
    /// bytes are, leaving the reader at the value, or `nil` (having read the closing brace) at
    /// the object's end.
    private mutating func scanMember() throws(Miss) -> (start: Int, count: Int)? {
        index = members.cursor
        switch members.state {
        case .closed, .outside:
            return nil
        case .first:
            skipWhitespace()
            if peek == UInt8(ascii: "}") { return close() }
        case .more:
            skipWhitespace()
            guard index < end else { throw Miss() }
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "}") {
                index -= 1
                return close()
            }
            guard byte == UInt8(ascii: ",") else { throw Miss() }
            skipWhitespace()
        }
        members.state = .more
        return try readMemberKey()
    }

    /// Reads the closing brace of the object ``readMembers(_:)`` reads (which leaves the object's
    /// depth once `body` is done, as members passed may still be read).
    private mutating func close() -> (start: Int, count: Int)? {
        index += 1
        members.state = .closed
        members.cursor = index
        return nil
    }

    /// Reads an array: `body` is called once per element and must read or skip it.
    public mutating func readArray(_ body: (inout JSONReader) throws(Miss) -> Void) throws(Miss) {
        try readContainer(UInt8(ascii: "["), UInt8(ascii: "]"), body)
    }

    /// Reads `opening`, then elements (each read by `element`) separated by commas, then `closing`.
    @inline(__always)
    private mutating func readContainer(_ opening: UInt8, _ closing: UInt8, _ element: (inout JSONReader) throws(Miss) -> Void) throws(Miss) {
        try enter(opening)
        skipWhitespace()
        if peek == closing {
            index += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            try element(&self)
            skipWhitespace()
            guard index < end else { throw Miss() }
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: ",") { continue }
            guard byte == closing else { throw Miss() }
            depth -= 1
            return
        }
    }

    /// Reads an object member's key and the colon after it; returns where the key's bytes are.
    private mutating func readMemberKey() throws(Miss) -> (start: Int, count: Int) {
        let (start, count, _) = try stringBytes()
        skipWhitespace()
        try expect(UInt8(ascii: ":"))
        skipWhitespace()
        return (start, count)
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
        guard index + 4 <= end, bytes[index] == UInt8(ascii: "n"), bytes[index + 1] == UInt8(ascii: "u"),
              bytes[index + 2] == UInt8(ascii: "l"), bytes[index + 3] == UInt8(ascii: "l") else { return false }
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
        switch bytes[index] {
        case UInt8(ascii: "{"): try skipObject()
        case UInt8(ascii: "["): try readArray { (reader: inout JSONReader) throws(Miss) in try reader.skipValue() }
        case UInt8(ascii: "\""): _ = try stringBytes()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: try skipNumber()
        }
    }

    /// Skips an object: its keys are only checked to be strings, as their values are skipped.
    private mutating func skipObject() throws(Miss) {
        try readContainer(UInt8(ascii: "{"), UInt8(ascii: "}")) { (reader: inout JSONReader) throws(Miss) in
            _ = try reader.readMemberKey()
            try reader.skipValue()
        }
    }

    /// Skips the value that comes next, remembering where it was (for ``read(_:_:)-(Skipped,_)``).
    public mutating func skipValueForLater() throws(Miss) -> Skipped {
        let start = index
        try skipValue()
        return Skipped(range: start..<index)
    }

    // MARK: Scalars

    /// Reads a string (without escapes or control characters; valid UTF-8).
    public mutating func readString() throws(Miss) -> String {
        let (start, count, _) = try stringBytes(validating: false)
        guard let contents = try? UTF8Span(validating: bytes.span.extracting(start..<(start + count))) else { throw Miss() }
        return String(copying: contents)
    }

    /// Reads a string, or `nil` for `null`.
    public mutating func readStringIfPresent() throws(Miss) -> String? {
        readNull() ? nil : try readString()
    }

    /// Reads `true` or `false`.
    public mutating func readBool() throws(Miss) -> Bool {
        guard index < end else { throw Miss() }
        if bytes[index] == UInt8(ascii: "t") {
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
        while index < end, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            value = value * 10 + Int(bytes[index] - 0x30)
            index += 1
        }
        let digits = index - start
        guard digits > 0, digits <= 18, digits == 1 || bytes[start] != 0x30 else { throw Miss() }
        if index < end, bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") { throw Miss() }
        return value
    }

    // MARK: Lexing

    private var peek: UInt8? { index < end ? bytes[index] : nil }

    private mutating func enter(_ opening: UInt8) throws(Miss) {
        guard index < end, bytes[index] == opening, depth < Self.maximumDepth else { throw Miss() }
        index += 1
        depth += 1
    }

    private mutating func expect(_ byte: UInt8) throws(Miss) {
        guard index < end, bytes[index] == byte else { throw Miss() }
        index += 1
    }

    private mutating func skipWhitespace() {
        while index < end {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func literal(_ text: String) throws(Miss) {
        for byte in text.utf8 {
            guard index < end, bytes[index] == byte else { throw Miss() }
            index += 1
        }
    }

    /// Consumes a string; returns where its contents start, how many bytes they are and whether
    /// they are all ASCII. Non-ASCII contents are checked to be valid UTF-8 unless the caller
    /// checks them itself (`validating: false`), as Foundation refuses invalid UTF-8 anywhere.
    private mutating func stringBytes(validating: Bool = true) throws(Miss) -> (start: Int, count: Int, ascii: Bool) {
        try expect(UInt8(ascii: "\""))
        let start = index
        let (closing, ascii) = try scanString(from: start)
        index = closing + 1
        if !ascii, validating, (try? UTF8Span(validating: bytes.span.extracting(start..<closing))) == nil { throw Miss() }
        return (start, closing - start, ascii)
    }

    /// Where the string whose contents start at `start` closes, and whether its contents are ASCII.
    @inline(__always)
    private func scanString(from start: Int) throws(Miss) -> (closing: Int, ascii: Bool) {
        let span = bytes.span
        var position = start
        var high: UInt8 = 0
        while position < end {
            let byte = span[position]
            if byte == UInt8(ascii: "\"") { return (position, high < 0x80) }
            guard byte >= 0x20, byte != UInt8(ascii: "\\") else { throw Miss() }
            high |= byte
            position += 1
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
        while index < end, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
        return index - start
    }

    private func isRepeated(start: Int, count: Int, since mark: Int) -> Bool {
        var position = mark
        while position < keys.count {
            if keys[position + 1] == count, sameBytes(keys[position], start, count: count) { return true }
            position += 2
        }
        return false
    }

    private func sameBytes(_ start: Int, _ key: StaticString) -> Bool {
        let span = bytes.span
        let pointer = key.utf8Start
        for offset in 0..<key.utf8CodeUnitCount where span[start + offset] != pointer[offset] { return false }
        return true
    }

    private func sameBytes(_ first: Int, _ second: Int, count: Int) -> Bool {
        let span = bytes.span
        for offset in 0..<count where span[first + offset] != span[second + offset] { return false }
        return true
    }
}

/// An object key as it appears in the document (no escapes), compared with literals in `switch`.
public struct JSONKey {
    private let document: [UInt8]
    private let start: Int
    private let count: Int

    init(document: [UInt8], start: Int, count: Int) {
        self.document = document
        self.start = start
        self.count = count
    }

    /// Whether the key is `pattern` (for `case "name":`).
    @inline(__always)
    public static func ~= (pattern: String, key: JSONKey) -> Bool {
        let utf8 = pattern.utf8
        guard utf8.count == key.count else { return false }
        let expected = utf8.span
        let document = key.document.span
        for offset in 0..<key.count where expected[offset] != document[key.start + offset] { return false }
        return true
    }
}

/// A type that reads itself from JSON with a ``JSONReader`` (the fast path of decoding).
///
/// `init(json:)` must read exactly what the type's `Decodable` initialiser reads from the same
/// bytes — the same fields, validated the same way — and throw ``JSONReader/Miss`` for anything
/// it is unsure of, never a different value. An object type gets both from one reading of its
/// members by conforming to ``JSONObjectReadable``.
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
        if let value = try? JSONReader.read(T.self, from: [UInt8](data)) { return value }
        return try decode(T.self, from: data)
    }
}
