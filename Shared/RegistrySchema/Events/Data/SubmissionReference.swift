// The `submission` object of accepted and rejected events (docs/architecture.md §4.5-4.6).

/// The (`source`, `id`) pair of a submission CloudEvent: its idempotency key; and who submitted it.
public struct SubmissionReference: Hashable, Sendable, Codable {
    /// The submission's CloudEvent `source`, e.g. `/egov/portal`.
    public var source: String
    /// The submission's CloudEvent `id`, unique per source.
    public var id: String
    /// The `sub` of the upstream token that posted it over HTTP; `nil` (encoded as `null`) for a
    /// submission published to Kafka directly.
    public var submitter: String?

    /// Creates a reference.
    public init(source: String, id: String, submitter: String? = nil) {
        self.source = source
        self.id = id
        self.submitter = submitter
    }
}

extension SubmissionReference: JSONObjectReadable, JSONObjectFields {
    /// Reads the members; `submitter` may be absent or `null` (`nil`).
    public init<Fields: JSONFieldReading>(fields r: inout Fields) throws(Fields.Failure) {
        id = try r.field("id")
        source = try r.field("source")
        submitter = try r.fieldIfPresent("submitter")
    }

    /// Writes every field, `submitter` as `null` when absent.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("id", id)
        w.field("source", source)
        w.field("submitter", submitter)
    }
}
