// A CloudEvent as a Kafka message: the one place the value bytes and the header are made.

import Kafka
import RegistrySchema

extension KafkaProducerMessage {
    /// A registry event in structured JSON mode with the `content-type` header of DESIGN §4.
    /// - Parameters:
    ///   - event: The event; encoded with ``RegistryEventEncoder`` (sorted keys, stable bytes,
    ///     so a re-sent event is byte-identical).
    ///   - topic: The full topic name (prefix applied).
    ///   - key: The partitioning key of DESIGN §3.
    /// - Throws: `EncodingError` (not expected for the registry's types).
    public static func event<D: Codable & Sendable>(_ event: CloudEvent<D>, topic: String, key: [UInt8]?) throws -> KafkaProducerMessage {
        KafkaProducerMessage(
            topic: topic, key: key, value: try RegistryEventEncoder.shared.encodeBytes(event),
            headers: [KafkaHeader(key: CloudEventsContentType.headerName, string: CloudEventsContentType.structuredJSON)])
    }

    /// As ``event(_:topic:key:)`` with a string key.
    public static func event<D: Codable & Sendable>(_ event: CloudEvent<D>, topic: String, key: String) throws -> KafkaProducerMessage {
        try Self.event(event, topic: topic, key: Array(key.utf8))
    }
}

extension RegistryEventEncoder {
    /// One encoder for the process (`JSONEncoder` is safe to share once configured).
    static let shared = RegistryEventEncoder()
}
