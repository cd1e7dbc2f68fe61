// The envelope of a CloudEvent without its data: for routing, and for broken messages.

/// A CloudEvent's context attributes, read without decoding `data`.
///
/// Services route by ``eventType`` and read ``id`` and ``source`` from a message whose data is
/// broken (to reject it). Decoding requires `specversion`, `id`, `source` and `type` to be
/// strings (the last three non-empty) but accepts any `specversion` value, so that an event of
/// another version can still be answered; check ``isSupportedSpecVersion``.
public struct CloudEventAttributes: Hashable, Sendable, Codable {
    /// `specversion` as found.
    public var specVersion: String
    /// `id`: unique per source.
    public var id: String
    /// `source`: a URI-reference naming the producer, e.g. `/egov/portal`.
    public var source: String
    /// `type`: e.g. `kz.registry.registration.submitted.v1`.
    public var type: String
    /// `time`, when present.
    public var time: Timestamp?
    /// `subject` (the IIN or RCA the event is about), when present.
    public var subject: String?
    /// `datacontenttype`, when present.
    public var dataContentType: String?
    /// `traceparent` and `tracestate` (the distributed-tracing extension), when present. A value
    /// that is not a string is ignored, as an unknown attribute would be.
    public var trace: EventTrace?

    /// Creates attributes.
    public init(
        specVersion: String = CloudEventsContentType.specVersion, id: String, source: String, type: String,
        time: Timestamp?, subject: String?, dataContentType: String?, trace: EventTrace? = nil
    ) {
        self.specVersion = specVersion
        self.id = id
        self.source = source
        self.type = type
        self.time = time
        self.subject = subject
        self.dataContentType = dataContentType
        self.trace = trace
    }

    /// The registry event type, or `nil` for a type the registry does not know.
    public var eventType: EventType? { EventType(rawValue: type) }

    /// Whether `specversion` is `1.0`.
    public var isSupportedSpecVersion: Bool { specVersion == CloudEventsContentType.specVersion }

    /// The (`source`, `id`) idempotency key.
    public var submissionReference: SubmissionReference { SubmissionReference(source: source, id: id) }

    enum CodingKeys: String, CodingKey {
        case specVersion = "specversion", id, source, type, time, subject, dataContentType = "datacontenttype", data
        case traceparent, tracestate
    }

    /// Decodes the attributes from a CloudEvent object, ignoring `data` and unknown attributes.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(from: container)
    }

    init(from container: KeyedDecodingContainer<CodingKeys>) throws {
        specVersion = try container.decode(String.self, forKey: .specVersion)
        id = try container.decodeNonEmptyString(forKey: .id)
        source = try container.decodeNonEmptyString(forKey: .source)
        type = try container.decodeNonEmptyString(forKey: .type)
        time = try container.decodeIfPresent(Timestamp.self, forKey: .time)
        subject = try container.decodeIfPresent(String.self, forKey: .subject)
        dataContentType = try container.decodeIfPresent(String.self, forKey: .dataContentType)
        trace = EventTrace.present(
            traceparent: try? container.decodeIfPresent(String.self, forKey: .traceparent),
            tracestate: try? container.decodeIfPresent(String.self, forKey: .tracestate))
    }

    /// Encodes the attributes (no `data`); absent optional attributes are omitted.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try encode(to: &container)
    }

    func encode(to container: inout KeyedEncodingContainer<CodingKeys>) throws {
        try container.encode(specVersion, forKey: .specVersion)
        try container.encode(id, forKey: .id)
        try container.encode(source, forKey: .source)
        try container.encode(type, forKey: .type)
        try container.encodeIfPresent(time, forKey: .time)
        try container.encodeIfPresent(subject, forKey: .subject)
        try container.encodeIfPresent(dataContentType, forKey: .dataContentType)
        try container.encodeIfPresent(trace?.traceparent, forKey: .traceparent)
        try container.encodeIfPresent(trace?.tracestate, forKey: .tracestate)
    }
}

extension KeyedDecodingContainer {
    /// Decodes a required string attribute that must not be empty (CloudEvents 1.0).
    func decodeNonEmptyString(forKey key: Key) throws -> String {
        let value = try decode(String.self, forKey: key)
        guard !value.isEmpty else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "must be a non-empty string")
        }
        return value
    }
}

extension CloudEventAttributes {
    /// Reads an event's attributes and skips its `data` (read afterwards, by type),
    /// requiring what ``CloudEvent``'s `init(from:)` requires: `specversion` `1.0`, non-empty
    /// `id`, `source` and `type`, and a `data` member.
    static func readEnvelope(_ reader: inout JSONReader) throws(JSONReader.Miss) -> (CloudEventAttributes, data: JSONReader.Skipped) {
        var specVersion: String?, id: String?, source: String?, type: String?, time: Timestamp?, subject: String?, dataContentType: String?
        var traceparent: String?, tracestate: String?
        var data: JSONReader.Skipped?
        try reader.readObject { (r: inout JSONReader, key: JSONKey) throws(JSONReader.Miss) in
            switch key {
            case "data": data = try r.skipValueForLater()
            case "datacontenttype": dataContentType = try r.readStringIfPresent()
            case "id": id = try r.readString()
            case "source": source = try r.readString()
            case "specversion": specVersion = try r.readString()
            case "subject": subject = try r.readStringIfPresent()
            case "time": time = try r.readIfPresent(Timestamp.self)
            // Another JSON type than a string is a miss here; Foundation then ignores it.
            case "traceparent": traceparent = try r.readStringIfPresent()
            case "tracestate": tracestate = try r.readStringIfPresent()
            case "type": type = try r.readString()
            default: try r.skipValue()
            }
        }
        guard specVersion == CloudEventsContentType.specVersion, let id, !id.isEmpty, let source, !source.isEmpty, let type, !type.isEmpty, let data else {
            throw JSONReader.Miss()
        }
        let trace = EventTrace.present(traceparent: traceparent, tracestate: tracestate)
        return (CloudEventAttributes(id: id, source: source, type: type, time: time, subject: subject, dataContentType: dataContentType, trace: trace), data)
    }

    /// Writes the attributes and `data` in sorted order, absent optional attributes omitted (as
    /// `encode(to:)` does).
    func writeJSON(to writer: inout JSONWriter, data: (inout JSONWriter) -> Void) {
        writer.object { w in
            w.key("data")
            data(&w)
            w.fieldIfPresent("datacontenttype", dataContentType)
            w.field("id", id)
            w.field("source", source)
            w.field("specversion", specVersion)
            w.fieldIfPresent("subject", subject)
            w.fieldIfPresent("time", time)
            w.fieldIfPresent("traceparent", trace?.traceparent)
            w.fieldIfPresent("tracestate", trace?.tracestate)
            w.field("type", type)
        }
    }
}
