// A string outside one of the contract's enumerations.

/// A string field whose value is not one of the values the contract allows, e.g. an unknown
/// `kind` (docs/architecture.md §4.4: `MALFORMED`).
public struct UnknownValueError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The field's name, e.g. `kind`.
    public let field: String
    /// The value found.
    public let value: String
    /// The values allowed.
    public let allowed: [String]

    /// Creates the error.
    public init(field: String, value: String, allowed: [String]) {
        self.field = field
        self.value = value
        self.allowed = allowed
    }

    /// `"unknown kind 'x'"`.
    public var description: String { "unknown \(field) '\(value)'" }
}

extension RawRepresentable where Self: CaseIterable, RawValue == String {
    /// Decodes one of the enumeration's raw values; anything else throws
    /// `DecodingError.dataCorrupted` at the field's path with an ``UnknownValueError``.
    /// - Parameter field: the name used in the message when the value is not under a key
    ///   (an array element, or the document itself).
    static func decodeContractValue(from decoder: any Decoder, field: String) throws -> Self {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        if let value = Self(rawValue: text) { return value }
        let last = decoder.codingPath.last
        let name = last.flatMap { $0.intValue == nil ? $0.stringValue : nil } ?? field
        let failure = UnknownValueError(field: name, value: text, allowed: allCases.map(\.rawValue))
        throw DecodingError.dataCorrupted(.init(
            codingPath: decoder.codingPath, debugDescription: failure.description, underlyingError: failure))
    }
}
