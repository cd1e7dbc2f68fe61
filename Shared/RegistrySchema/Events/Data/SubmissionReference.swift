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

    private enum CodingKeys: String, CodingKey {
        case source, id, submitter
    }
}

extension SubmissionReference: JSONReadable, JSONObjectFields {
    /// Reads the fields as the synthesized `init(from:)` does.
    public init(json reader: inout JSONReader) throws(JSONReader.Miss) {
        var source: String?, id: String?, submitter: String?
        try reader.readObject { (r: inout JSONReader, key: JSONKey) throws(JSONReader.Miss) in
            switch key {
            case "source": source = try r.readString()
            case "id": id = try r.readString()
            case "submitter": submitter = try r.readStringIfPresent()
            default: try r.skipValue()
            }
        }
        guard let source, let id else { throw JSONReader.Miss() }
        self.init(source: source, id: id, submitter: submitter)
    }

    /// Writes every field, `submitter` as `null` when absent.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("id", id)
        w.field("source", source)
        w.field("submitter", submitter)
    }
}
