// CloudEvent: the CloudEvents 1.0 structured-JSON envelope every message travels in (docs/architecture.md §4).

/// A CloudEvents 1.0 event in structured JSON mode, generic over its `data`.
///
/// Decoding requires `specversion`, `id`, `source` and `type` (the last three non-empty
/// strings), accepts only `specversion` `1.0` (otherwise ``EnvelopeError/unsupportedSpecVersion(found:)``),
/// and — when `Data` is a ``RegistryEventData`` — only that data's `type` (otherwise
/// ``EnvelopeError/unsupportedType(found:expected:)``), before it reads `data`. Unknown attributes
/// and unknown `data` fields are ignored. Encoding omits absent optional attributes.
///
/// ``RegistryEventDecoder`` and ``RegistryEventEncoder`` turn messages into events and back.
public struct CloudEvent<Data: Codable & Sendable>: Sendable {
    /// The context attributes; each is also read and set on the event itself (`event.id` is
    /// `event.attributes.id`).
    public var attributes: CloudEventAttributes
    /// `data`.
    public var data: Data

    /// `id`: unique per `source`; (`source`, `id`) is a submission's idempotency key.
    public var id: String {
        get { attributes.id }
        set { attributes.id = newValue }
    }
    /// `source`: the producer, e.g. `/egov/portal` or `/registry/intake`.
    public var source: String {
        get { attributes.source }
        set { attributes.source = newValue }
    }
    /// `type`: e.g. `kz.registry.registration.submitted.v1`.
    public var type: String {
        get { attributes.type }
        set { attributes.type = newValue }
    }
    /// `time`: when the event happened.
    public var time: Timestamp? {
        get { attributes.time }
        set { attributes.time = newValue }
    }
    /// `subject`: the IIN for person events, the RCA for address events.
    public var subject: String? {
        get { attributes.subject }
        set { attributes.subject = newValue }
    }
    /// `datacontenttype`: `application/json` for the registry's events.
    public var dataContentType: String? {
        get { attributes.dataContentType }
        set { attributes.dataContentType = newValue }
    }
    /// `traceparent` and `tracestate`: the trace of what caused the event, when it had one.
    public var trace: EventTrace? {
        get { attributes.trace }
        set { attributes.trace = newValue }
    }

    /// `specversion`: always `1.0`.
    public var specVersion: String { CloudEventsContentType.specVersion }

    /// Creates an event with every attribute given.
    /// - Parameters:
    ///   - id: unique per `source`.
    ///   - source: the producer's URI-reference.
    ///   - type: the event type string.
    ///   - time: when it happened.
    ///   - subject: what it is about.
    ///   - dataContentType: the media type of `data`.
    ///   - data: the payload.
    ///   - trace: the trace of what caused the event.
    public init(
        id: String, source: String, type: String, time: Timestamp?, subject: String?,
        dataContentType: String? = CloudEventsContentType.dataJSON, data: Data, trace: EventTrace? = nil
    ) {
        self.init(
            attributes: CloudEventAttributes(id: id, source: source, type: type, time: time, subject: subject, dataContentType: dataContentType, trace: trace),
            data: data)
    }

    /// An event with the given attributes and data.
    public init(attributes: CloudEventAttributes, data: Data) {
        self.attributes = attributes
        self.data = data
    }
}

extension CloudEvent where Data: RegistryEventData {
    /// Creates a registry event: `type` from the data's ``RegistryEventData/eventType``,
    /// `subject` from its ``RegistryEventData/eventSubject``, `datacontenttype` `application/json`.
    /// - Parameters:
    ///   - id: unique per `source`.
    ///   - source: the producer, e.g. `/registry/intake`.
    ///   - time: when it happened.
    ///   - data: the payload.
    ///   - trace: the trace of what caused it (docs/architecture.md §4: carried from a submission to every
    ///     event derived from it).
    public init(id: String, source: String, time: Timestamp, data: Data, trace: EventTrace? = nil) {
        self.init(
            id: id, source: source, type: Data.eventType.rawValue, time: time, subject: data.eventSubject,
            dataContentType: CloudEventsContentType.dataJSON, data: data, trace: trace)
    }

    /// The event type.
    public var eventType: EventType { Data.eventType }
}

extension CloudEvent: Codable {
    /// Decodes and validates the envelope, then `data` (see the type's documentation).
    /// - Throws: `DecodingError` for structural problems, ``EnvelopeError`` for an unsupported
    ///   `specversion` or `type`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CloudEventAttributes.CodingKeys.self)
        let attributes = try CloudEventAttributes(from: container)
        guard attributes.isSupportedSpecVersion else {
            throw EnvelopeError.unsupportedSpecVersion(found: attributes.specVersion)
        }
        if let registryData = Data.self as? any RegistryEventData.Type {
            let expected = registryData.eventType.rawValue
            guard attributes.type == expected else {
                throw EnvelopeError.unsupportedType(found: attributes.type, expected: [expected])
            }
        }
        try self.init(attributes: attributes, dataFrom: container)
    }

    /// Completes decoding once the attributes are read and checked: decodes `data`.
    init(attributes: CloudEventAttributes, dataFrom container: KeyedDecodingContainer<CloudEventAttributes.CodingKeys>) throws {
        self.init(attributes: attributes, data: try container.decode(Data.self, forKey: .data))
    }

    /// Encodes the attributes, then `data`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CloudEventAttributes.CodingKeys.self)
        try attributes.encode(to: &container)
        try container.encode(data, forKey: .data)
    }
}

extension CloudEvent: Equatable where Data: Equatable {}

extension CloudEvent: Hashable where Data: Hashable {}

extension CloudEvent: JSONReadable where Data: JSONReadable {
    /// Reads the event as `init(from:)` does: the envelope, the data's `type` when the data is a
    /// ``RegistryEventData``, then `data`.
    public init(json reader: inout JSONReader) throws(JSONReader.Miss) {
        let (attributes, data) = try CloudEventAttributes.readEnvelope(&reader)
        if let registryData = Data.self as? any RegistryEventData.Type, attributes.type != registryData.eventType.rawValue { throw JSONReader.Miss() }
        try self.init(attributes: attributes, data: reader.read(data) { (r: inout JSONReader) throws(JSONReader.Miss) in try Data(json: &r) })
    }
}

extension CloudEvent: JSONWritable where Data: JSONWritable {
    /// Writes the event as `encode(to:)` does.
    public func writeJSON(to writer: inout JSONWriter) {
        attributes.writeJSON(to: &writer) { data.writeJSON(to: &$0) }
    }
}
