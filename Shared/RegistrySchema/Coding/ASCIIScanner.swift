// A forward-only reader of ASCII text, for the fixed formats of dates, timestamps and identifiers.

/// Reads a string's UTF-8 bytes one at a time, without copying them.
struct ASCIIScanner {
    private var iterator: String.UTF8View.Iterator
    private var lookahead: UInt8?

    init(_ text: String) {
        iterator = text.utf8.makeIterator()
        lookahead = iterator.next()
    }

    /// The next byte, without consuming it.
    var peek: UInt8? { lookahead }

    /// Whether every byte has been consumed.
    var isAtEnd: Bool { lookahead == nil }

    /// Consumes and returns the next byte.
    mutating func next() -> UInt8? {
        let byte = lookahead
        lookahead = iterator.next()
        return byte
    }

    /// Consumes the next byte if it is `byte` (or `alternative`, when given).
    mutating func consume(_ byte: UInt8, or alternative: UInt8? = nil) -> Bool {
        guard let next = lookahead, next == byte || next == alternative else { return false }
        lookahead = iterator.next()
        return true
    }

    /// Consumes the next byte if it is an ASCII digit and returns its value.
    mutating func digit() -> Int? {
        guard let byte = lookahead, byte >= 0x30, byte <= 0x39 else { return nil }
        lookahead = iterator.next()
        return Int(byte - 0x30)
    }

    /// Consumes exactly `count` ASCII digits and returns their value.
    mutating func digits(_ count: Int) -> Int? {
        var value = 0
        for _ in 0..<count {
            guard let digit = digit() else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    /// The number of characters of `text` when all are ASCII digits, else `nil` (RCA, KATO).
    static func digitCount(of text: String) -> Int? {
        var count = 0
        for byte in text.utf8 {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            count += 1
        }
        return count
    }
}
