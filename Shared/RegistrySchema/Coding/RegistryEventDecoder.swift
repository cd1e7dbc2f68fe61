// RegistryEventDecoder: message bytes to CloudEvents, with errors intake can reject with.

import Foundation

/// Decodes message values (Kafka values, webhook and submission bodies) into CloudEvents.
///
/// Create one per consumer and reuse it: it holds one `JSONDecoder`. Every failure is an
/// ``EnvelopeError``.
///
/// Types that read themselves (``JSONReadable``: the events on the services' hot paths) are read
/// with a ``JSONReader`` first; when that gives up — on anything unusual or invalid — the same
/// bytes are decoded with Foundation's `JSONDecoder`, which decides and reports. The result is
/// the same either way; only the time differs.
public struct RegistryEventDecoder: Sendable {
    private let decoder: JSONDecoder
    private let readsFast: Bool

    /// Creates a decoder.
    /// - Parameter readsFast: `false` decodes everything with Foundation's `JSONDecoder` (for
    ///   the tests and benchmarks that compare the two paths).
    public init(readsFast: Bool = true) {
        decoder = RegistryEventDecoder.makeJSONDecoder()
        self.readsFast = readsFast
    }

    /// A `JSONDecoder` configured as the module decodes: default strategies, because every
    /// date, timestamp and identifier type decodes its own string form.
    public static func makeJSONDecoder() -> JSONDecoder {
        JSONDecoder()
    }

    /// Decodes a CloudEvent whose data is `type`.
    /// - Parameters:
    ///   - type: the data type; for a ``RegistryEventData`` the envelope's `type` must be its
    ///     ``RegistryEventData/eventType``.
    ///   - bytes: the UTF-8 JSON.
    /// - Throws: ``EnvelopeError``: `malformed` with the field path, or `unsupportedSpecVersion`
    ///   / `unsupportedType`.
    public func decode<D: Codable & Sendable>(_ type: D.Type, from bytes: Data) throws(EnvelopeError) -> CloudEvent<D> {
        if readsFast, let event = Self.readFast(CloudEvent<D>.self, from: [UInt8](bytes)) { return event }
        return try foundationDecode(CloudEvent<D>.self, from: bytes)
    }

    /// Decodes a CloudEvent whose data is `type` from a Kafka value (as the `Data` overload does).
    public func decode<D: Codable & Sendable>(_ type: D.Type, from bytes: [UInt8]) throws(EnvelopeError) -> CloudEvent<D> {
        if readsFast, let event = Self.readFast(CloudEvent<D>.self, from: bytes) { return event }
        return try foundationDecode(CloudEvent<D>.self, from: Data(bytes))
    }

    /// Decodes a CloudEvent of any registry type, choosing the data type by `type`.
    /// - Throws: ``EnvelopeError``; `unsupportedType` for a type the registry does not know.
    public func decodeEvent(from bytes: Data) throws(EnvelopeError) -> RegistryEvent {
        if readsFast, let event = Self.readFast(RegistryEvent.self, from: [UInt8](bytes)) { return event }
        return try foundationDecode(RegistryEvent.self, from: bytes)
    }

    /// Decodes a CloudEvent of any registry type from a Kafka value.
    public func decodeEvent(from bytes: [UInt8]) throws(EnvelopeError) -> RegistryEvent {
        if readsFast, let event = Self.readFast(RegistryEvent.self, from: bytes) { return event }
        return try foundationDecode(RegistryEvent.self, from: Data(bytes))
    }

    /// Decodes only the envelope attributes, ignoring `data` (for routing by type). Any
    /// `specversion` string is accepted; see ``CloudEventAttributes``.
    /// - Throws: ``EnvelopeError/malformed(_:)`` when an attribute is missing or invalid.
    public func decodeAttributes(from bytes: Data) throws(EnvelopeError) -> CloudEventAttributes {
        try foundationDecode(CloudEventAttributes.self, from: bytes)
    }

    /// Decodes only the envelope attributes from a Kafka value.
    public func decodeAttributes(from bytes: [UInt8]) throws(EnvelopeError) -> CloudEventAttributes {
        try decodeAttributes(from: Data(bytes))
    }

    /// Reads just `source` and `id` from a JSON object, however broken the rest is: what a
    /// rejection needs to name the submission (docs/architecture.md §4.4: a message with a readable `id` gets
    /// a rejection). `nil` unless both are non-empty strings.
    public func submissionReference(from bytes: Data) -> SubmissionReference? {
        guard let identity = try? decoder.decode(LenientIdentity.self, from: bytes),
              let source = identity.source, let id = identity.id else { return nil }
        return SubmissionReference(source: source, id: id)
    }

    /// Reads just `source` and `id` from a Kafka value (as the `Data` overload does).
    public func submissionReference(from bytes: [UInt8]) -> SubmissionReference? {
        submissionReference(from: Data(bytes))
    }

    /// `T` decoded by Foundation, which decides and reports (the fast path, if any, gave up).
    private func foundationDecode<T: Decodable>(_ type: T.Type, from bytes: Data) throws(EnvelopeError) -> T {
        do {
            return try decoder.decode(T.self, from: bytes)
        } catch {
            throw Self.envelopeError(error)
        }
    }

    /// `T` read by its ``JSONReadable`` conformance, or `nil` when it has none or the reader gave up.
    private static func readFast<T>(_ type: T.Type, from bytes: [UInt8]) -> T? {
        guard let readable = T.self as? any JSONReadable.Type else { return nil }
        return (try? JSONReader.read(readable, from: bytes)) as? T
    }

    private static func envelopeError(_ error: any Error) -> EnvelopeError {
        if let envelopeError = error as? EnvelopeError { return envelopeError }
        return .malformed(SchemaDecodingError(error))
    }
}

/// `source` and `id` when they are non-empty strings, whatever else the object holds.
private struct LenientIdentity: Decodable {
    let source: String?
    let id: String?

    private enum CodingKeys: String, CodingKey {
        case source, id
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        source = (try? container.decodeIfPresent(String.self, forKey: .source)).flatMap { $0?.isEmpty == false ? $0 : nil }
        id = (try? container.decodeIfPresent(String.self, forKey: .id)).flatMap { $0?.isEmpty == false ? $0 : nil }
    }
}
