// One entry of a rejection's `reasons` (DESIGN §4.6).

/// A rule a submission broke: its code and a human-readable explanation.
public struct RejectionReason: Hashable, Sendable, Codable {
    /// The rule (DESIGN §4.4).
    public var code: RejectionCode
    /// What exactly was wrong, for people (e.g. `data.person.iin: invalid IIN: check digit …`).
    public var message: String

    /// Creates a reason.
    public init(code: RejectionCode, message: String) {
        self.code = code
        self.message = message
    }
}
