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

extension SubmissionReference: JSONReadable, JSONWritable {
    /// Reads the fields as the synthesized `init(from:)` does.
    public init(json reader: inout JSONReader) throws(JSONReader.Miss) {
        var source: String?, id: String?
        try reader.readObject { (r: inout JSONReader, key: JSONKey) throws(JSONReader.Miss) in
            switch key {
            case "source": source = try r.readString()
            case "id": id = try r.readString()
            default: try r.skipValue()
            }
        }
        guard let source, let id else { throw JSONReader.Miss() }
        self.init(source: source, id: id)
    }

    /// Writes both fields.
    public func writeJSON(to writer: inout JSONWriter) {
        writer.object { w in
            w.field("id", id)
            w.field("source", source)
        }
    }
}
