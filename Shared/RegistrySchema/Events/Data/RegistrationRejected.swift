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
}

extension RegistrationRejected: JSONObjectReadable, JSONObjectFields {
    /// Reads the members; `iin` may be absent or `null` (`nil`).
    public init<Fields: JSONFieldReading>(fields r: inout Fields) throws(Fields.Failure) {
        iin = try r.fieldIfPresent("iin")
        reasons = try r.field("reasons")
        submission = try r.field("submission")
    }

    /// Writes every field, `iin` as `null` when absent.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("iin", iin)
        w.field("reasons", array: reasons)
        w.field("submission", submission)
    }
}
