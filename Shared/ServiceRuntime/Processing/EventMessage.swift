// A CloudEvent as a Kafka message: the one place the value bytes and the headers are made, and
// the one place a consumed message is read as a structured-mode event whatever mode it came in.

import Kafka
import RegistrySchema

extension KafkaProducerMessage {
    /// A registry event in structured JSON mode with the `content-type` header of docs/architecture.md §4, and
    /// the `traceparent`/`tracestate` headers when the event carries a trace.
    /// - Parameters:
    ///   - event: The event; encoded with ``RegistryEventEncoder`` (sorted keys, stable bytes,
    ///     so a re-sent event is byte-identical).
    ///   - topic: The full topic name (prefix applied).
    ///   - key: The partitioning key of docs/architecture.md §3.
    /// - Throws: `EncodingError` (not expected for the registry's types).
    public static func event<D: Codable & Sendable>(_ event: CloudEvent<D>, topic: String, key: [UInt8]?) throws -> KafkaProducerMessage {
        var headers = [Self.structuredContentType]
        if let trace = event.trace { headers += trace.kafkaHeaders }
        return KafkaProducerMessage(topic: topic, key: key, value: try RegistryEventEncoder.shared.encodeBytes(event), headers: headers)
    }

    /// As ``event(_:topic:key:)`` with a string key.
    public static func event<D: Codable & Sendable>(_ event: CloudEvent<D>, topic: String, key: String) throws -> KafkaProducerMessage {
        try Self.event(event, topic: topic, key: Array(key.utf8))
    }

    /// `content-type: application/cloudevents+json`.
    public static let structuredContentType = KafkaHeader(key: CloudEventsContentType.headerName, string: CloudEventsContentType.structuredJSON)
}

extension KafkaConsumerMessage {
    /// The message's CloudEvent as structured JSON: the value itself, or, for a message in binary
    /// content mode (`ce_` headers, the value being `data` alone; docs/architecture.md §4), the structured
    /// document it stands for. `nil` for a tombstone.
    public var structuredValue: [UInt8]? {
        guard let value, CloudEventBinaryMode.isBinary(headers: headers.lazy.map { (name: $0.key, value: $0.value ?? []) }, prefix: CloudEventBinaryMode.kafkaPrefix)
        else { return value }
        // A header value that is not UTF-8 reads as empty: a required attribute is then refused.
        let named = headers.map { (name: $0.key, value: $0.stringValue ?? "") }
        return CloudEventBinaryMode.structuredJSON(headers: named, prefix: CloudEventBinaryMode.kafkaPrefix, data: value)
    }
}

extension RegistryEventEncoder {
    /// One encoder for the process (`JSONEncoder` is safe to share once configured).
    static let shared = RegistryEventEncoder()
}
