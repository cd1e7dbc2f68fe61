// Why a string is not a date or a timestamp.

/// A value read from text whose parse error names it (`date`, `timestamp`).
public protocol TimeText: Sendable {
    /// What the text should have been, for error messages.
    static var textName: String { get }
}

/// Why a string is not a `Value` (``CalendarDate``: `YYYY-MM-DD`; ``Timestamp``: RFC 3339).
public struct TimeParseError<Value: TimeText>: Error, Sendable, Hashable, CustomStringConvertible {
    /// The text that was read.
    public let text: String

    /// Creates the error for a rejected text.
    public init(text: String) {
        self.text = text
    }

    /// `"invalid date '2026-13-01'"`, `"invalid timestamp '2026-11-24 10:15'"`.
    public var description: String { "invalid \(Value.textName) '\(text)'" }
}
