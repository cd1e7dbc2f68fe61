// RCA: the address register's code of a dwelling (docs/architecture.md §4.1).

/// A registration code of address: an opaque string of 1-32 ASCII digits naming one dwelling.
///
/// Whether the catalog holds it is for the services to decide; this type only guarantees the
/// form. Its `Codable` form is the plain string; decoding an invalid one throws
/// `DecodingError.dataCorrupted` at the field's path with an ``IdentifierFormatError``.
public struct RCA: RawRepresentable, Hashable, Comparable, Sendable, TextCodable, CustomStringConvertible {
    /// The digits.
    public let rawValue: String

    /// Creates an RCA from 1-32 digits.
    /// - Throws: ``IdentifierFormatError`` for anything else.
    public init(validating text: String) throws(IdentifierFormatError) {
        guard RCA.isValid(text) else { throw IdentifierFormatError(identifier: .rca, text: text) }
        rawValue = text
    }

    /// Creates an RCA if `rawValue` is 1-32 digits.
    public init?(rawValue: String) {
        guard RCA.isValid(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    /// Whether `text` is 1-32 ASCII digits.
    public static func isValid(_ text: String) -> Bool {
        ASCIIScanner.digitCount(of: text).map { (1...32).contains($0) } ?? false
    }

    /// The digits.
    public var description: String { rawValue }

    /// Orders codes by their text.
    public static func < (lhs: RCA, rhs: RCA) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

extension RCA: JSONReadable, JSONWritable {}
