// The Codable form shared by the identifiers and dates: one string, checked when decoded.

/// A value whose `Codable` form is one string, its ``wireText``, checked when decoded.
///
/// Conforming is all a type does: `init(from:)` and `encode(to:)` come from this protocol's
/// extensions, the codec written once. (Two extensions: for a `RawRepresentable` type the
/// standard library offers its own `rawValue` codec too, which would not check the text or say
/// why it is invalid; only a default constrained as tightly as the standard library's is
/// preferred to it, and with two equally good candidates the compiler would synthesize the keyed
/// form instead.)
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
    static func decodeText(from decoder: any Decoder) throws -> Self {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            return try Self(validating: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description, underlyingError: error))
        }
    }

    /// Encodes ``wireText``.
    func encodeText(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wireText)
    }
}

extension TextCodable {
    /// Decodes the string, validating it (``decodeText(from:)``).
    public init(from decoder: any Decoder) throws {
        self = try Self.decodeText(from: decoder)
    }

    /// Encodes ``wireText``.
    public func encode(to encoder: any Encoder) throws {
        try encodeText(to: encoder)
    }
}

extension TextCodable where Self: RawRepresentable, RawValue == String {
    /// Decodes the string, validating it (``decodeText(from:)``), rather than the standard
    /// library's unchecked `init(rawValue:)`.
    public init(from decoder: any Decoder) throws {
        self = try Self.decodeText(from: decoder)
    }

    /// Encodes ``wireText``.
    public func encode(to encoder: any Encoder) throws {
        try encodeText(to: encoder)
    }
}
