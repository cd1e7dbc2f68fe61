// kz.registry.registration.rejected.v1: why a submission did not become a fact (docs/architecture.md §4.6).

/// The `data` of `kz.registry.registration.rejected.v1`.
public struct RegistrationRejected: RegistryEventData, Hashable {
    /// `kz.registry.registration.rejected.v1`.
    public static var eventType: EventType { .registrationRejected }

    /// The rejected submission.
    public var submission: SubmissionReference
    /// The person IIN as read from the submission, `nil` when none could be read. A plain
    /// string, not an ``IIN``: an invalid number may be the very reason for the rejection.
    public var iin: String?
    /// Every rule that applies, in intake's order (docs/architecture.md §4.4); at least one.
    public var reasons: [RejectionReason]

    /// Creates a rejection.
    public init(submission: SubmissionReference, iin: String?, reasons: [RejectionReason]) {
        self.submission = submission
        self.iin = iin
        self.reasons = reasons
    }

    /// The IIN as read, if any.
    public var eventSubject: String? { iin }

    private enum CodingKeys: String, CodingKey {
        case submission, iin, reasons
    }
}

extension RegistrationRejected: JSONReadable, JSONObjectFields {
    /// Reads the fields as the synthesized `init(from:)` does.
    public init(json reader: inout JSONReader) throws(JSONReader.Miss) {
        var submission: SubmissionReference?, iin: String?, reasons: [RejectionReason]?
        try reader.readObject { (r: inout JSONReader, key: JSONKey) throws(JSONReader.Miss) in
            switch key {
            case "submission": submission = try SubmissionReference(json: &r)
            case "iin": iin = try r.readStringIfPresent()
            case "reasons": reasons = try r.readArray(of: RejectionReason.self)
            default: try r.skipValue()
            }
        }
        guard let submission, let reasons else { throw JSONReader.Miss() }
        self.init(submission: submission, iin: iin, reasons: reasons)
    }

    /// Writes every field, `iin` as `null` when absent.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("iin", iin)
        w.field("reasons", array: reasons)
        w.field("submission", submission)
    }
}
