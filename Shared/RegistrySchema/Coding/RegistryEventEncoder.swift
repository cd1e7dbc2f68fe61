// RegistryEventEncoder: CloudEvents to message bytes.

import Foundation

/// Encodes CloudEvents to structured-mode JSON (UTF-8, keys sorted, no escaped slashes, absent
/// optional data fields as `null`).
///
/// The output is deterministic — the same event gives the same bytes in every process — because
/// keys are sorted (Foundation's encoder does not otherwise keep an order); it is written by
/// ``SortedJSONEncoder``, byte for byte what `JSONEncoder` writes with the same options.
public struct RegistryEventEncoder: Sendable {
    private let encoder = SortedJSONEncoder()

    /// Creates an encoder.
    public init() {}

    /// A `JSONEncoder` configured as the module encodes: `.sortedKeys` (deterministic bytes) and
    /// `.withoutEscapingSlashes` (a `source` reads `/egov/portal`). The module itself writes the
    /// same bytes through ``SortedJSONEncoder``.
    public static func makeJSONEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// Encodes an event.
    /// - Throws: `EncodingError` (not expected for the registry's types, which hold no floats).
    public func encode<D: Codable & Sendable>(_ event: CloudEvent<D>) throws -> Data {
        try encoder.encode(event)
    }

    /// Encodes an event of any registry type.
    public func encode(_ event: RegistryEvent) throws -> Data {
        try encoder.encode(event)
    }

    /// Encodes an event as a Kafka value.
    public func encodeBytes<D: Codable & Sendable>(_ event: CloudEvent<D>) throws -> [UInt8] {
        try encoder.encodeBytes(event)
    }
}
