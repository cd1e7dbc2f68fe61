// One entry of a rejection's `reasons` (docs/architecture.md §4.6).

/// A rule a submission broke: its code and a human-readable explanation.
public struct RejectionReason: Hashable, Sendable, Codable {
    /// The rule (docs/architecture.md §4.4).
    public var code: RejectionCode
    /// What exactly was wrong, for people (e.g. `data.person.iin: invalid IIN: check digit …`).
    public var message: String

    /// Creates a reason.
    public init(code: RejectionCode, message: String) {
        self.code = code
        self.message = message
    }
}

extension RejectionReason: JSONObjectReadable, JSONObjectFields {
    /// Reads the members; every one is required.
    public init<Fields: JSONFieldReading>(fields r: inout Fields) throws(Fields.Failure) {
        code = try r.field("code")
        message = try r.field("message")
    }

    /// Writes both fields.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("code", code)
        w.field("message", message)
    }
}
