// Why a string is not an RCA or a KATO code.

/// A string that does not have the form of an RCA or KATO code (docs/architecture.md §4.1).
public struct IdentifierFormatError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The identifiers with a fixed textual form.
    public enum Identifier: String, Sendable, Hashable {
        /// The address register's dwelling code: 1-32 digits.
        case rca = "RCA"
        /// The territorial classifier code: exactly 9 digits.
        case kato = "KATO"
    }

    /// Which identifier was expected.
    public let identifier: Identifier
    /// How many characters the rejected text had (the text itself is not kept).
    public let length: Int

    /// Creates the error for a rejected text.
    public init(identifier: Identifier, text: String) {
        self.identifier = identifier
        self.length = text.count
    }

    /// `"invalid RCA: must be 1-32 digits"`.
    public var description: String {
        switch identifier {
        case .rca: "invalid RCA: must be 1-32 digits"
        case .kato: "invalid KATO: must be exactly 9 digits"
        }
    }
}
