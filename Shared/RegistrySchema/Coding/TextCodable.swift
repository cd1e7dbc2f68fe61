// The Codable form shared by the identifiers and dates: one string, checked when decoded.

/// A value whose `Codable` form is one string, its ``wireText``, checked when decoded.
///
/// Each conforming type keeps its `init(from:)` and `encode(to:)` (a stored `rawValue` would
/// otherwise get the synthesized keyed form) and forwards them to ``decodeText(from:)`` and
/// ``encodeText(to:)``, so the codec is written once.
public protocol TextCodable: Codable {
    /// Why a text is not a valid value.
    associatedtype TextError: Error & CustomStringConvertible
    /// Parses `text`, or throws why it is not a valid value.
    init(validating text: String) throws(TextError)
    /// The text on the wire (not always ``CustomStringConvertible/description``: an IIN's masks
    /// its digits).
    var wireText: String { get }
}

extension TextCodable where Self: RawRepresentable, RawValue == String {
    /// The raw value.
    public var wireText: String { rawValue }
}

extension TextCodable {
    /// Decodes the string, validating it: an invalid one throws `DecodingError.dataCorrupted` at
    /// the field's path, with the check's error (``TextError``) as the underlying error.
    public static func decodeText(from decoder: any Decoder) throws -> Self {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            return try Self(validating: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description, underlyingError: error))
        }
    }

    /// Encodes ``wireText``.
    public func encodeText(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wireText)
    }
}
