// KATO: the territorial classifier code of an address (docs/architecture.md §4.1).

/// A code of the classifier of administrative-territorial objects: exactly 9 ASCII digits,
/// `AB CD EF HHH` — region, district, rural district or town, settlement.
///
/// Agencies filter by prefix (a region, a district), hence ``hasPrefix(_:)``. Its `Codable`
/// form is the plain string; decoding an invalid one throws `DecodingError.dataCorrupted` at the
/// field's path with an ``IdentifierFormatError``.
public struct KATO: RawRepresentable, Hashable, Comparable, Sendable, TextCodable, CustomStringConvertible {
    /// The 9 digits.
    public let rawValue: String

    /// Creates a KATO code from exactly 9 digits.
    /// - Throws: ``IdentifierFormatError`` for anything else.
    public init(validating text: String) throws(IdentifierFormatError) {
        guard KATO.isValid(text) else { throw IdentifierFormatError(identifier: .kato, text: text) }
        rawValue = text
    }

    /// Creates a KATO code if `rawValue` is exactly 9 digits.
    public init?(rawValue: String) {
        guard KATO.isValid(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    /// Whether `text` is exactly 9 ASCII digits.
    public static func isValid(_ text: String) -> Bool {
        ASCIIScanner.digitCount(of: text) == 9
    }

    /// Whether `prefix` is a valid filter prefix: 1-9 ASCII digits.
    public static func isValidPrefix(_ prefix: String) -> Bool {
        ASCIIScanner.digitCount(of: prefix).map { (1...9).contains($0) } ?? false
    }

    /// Whether the code starts with `prefix` (e.g. `"75"` for a region, `"7511"` for a district).
    /// An empty prefix matches every code.
    public func hasPrefix(_ prefix: String) -> Bool {
        rawValue.utf8.starts(with: prefix.utf8)
    }

    /// Whether the code starts with any of `prefixes`; an empty list matches nothing.
    public func hasPrefix(anyOf prefixes: some Sequence<String>) -> Bool {
        prefixes.contains { hasPrefix($0) }
    }

    /// Digits 1-2: the region (oblast or city of republican significance).
    public var regionCode: String { String(rawValue.prefix(2)) }

    /// Digits 1-4: the district (or city of regional significance) within the region.
    public var districtCode: String { String(rawValue.prefix(4)) }

    /// The digits.
    public var description: String { rawValue }

    /// Orders codes by their digits.
    public static func < (lhs: KATO, rhs: KATO) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

extension KATO: JSONReadable, JSONWritable {}
