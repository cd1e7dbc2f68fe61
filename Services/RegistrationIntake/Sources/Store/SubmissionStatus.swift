// The status of a submission, as GET /v1/submissions/{id} answers it.

import RegistrySchema

/// Where a submission stands (docs/architecture.md §5.2).
public struct SubmissionStatus: Hashable, Sendable, Codable {
    /// `pending`, `accepted` or `rejected`.
    public enum State: String, Sendable, Codable {
        case pending, accepted, rejected
    }

    /// The state.
    public var status: State
    /// The person's `sequence` of the accepted event.
    public var sequence: Int?
    /// Why it was rejected.
    public var reasons: [RejectionReason]?

    /// Creates a status.
    public init(status: State, sequence: Int? = nil, reasons: [RejectionReason]? = nil) {
        self.status = status
        self.sequence = sequence
        self.reasons = reasons
    }
}
