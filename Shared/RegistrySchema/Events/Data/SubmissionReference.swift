// The `submission` object of accepted and rejected events (DESIGN §4.5-4.6).

/// The (`source`, `id`) pair of a submission CloudEvent: its idempotency key.
public struct SubmissionReference: Hashable, Sendable, Codable {
    /// The submission's CloudEvent `source`, e.g. `/egov/portal`.
    public var source: String
    /// The submission's CloudEvent `id`, unique per source.
    public var id: String

    /// Creates a reference.
    public init(source: String, id: String) {
        self.source = source
        self.id = id
    }
}
