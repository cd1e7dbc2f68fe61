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

extension RejectionReason: JSONReadable, JSONObjectFields {
    /// Reads the fields as the synthesized `init(from:)` does.
    public init(json reader: inout JSONReader) throws(JSONReader.Miss) {
        var code: RejectionCode?, message: String?
        try reader.readObject { (r: inout JSONReader, key: JSONKey) throws(JSONReader.Miss) in
            switch key {
            case "code": code = try RejectionCode(json: &r)
            case "message": message = try r.readString()
            default: try r.skipValue()
            }
        }
        guard let code, let message else { throw JSONReader.Miss() }
        self.init(code: code, message: message)
    }

    /// Writes both fields.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("code", code)
        w.field("message", message)
    }
}
