// kz.registry.deadletter.v1: a message a consumer could not process (docs/architecture.md §4.8).

import Foundation

/// The `data` of `kz.registry.deadletter.v1`: where a poison message was, what it held and why
/// it could not be processed.
public struct DeadLetter: RegistryEventData, Hashable, JSONObjectFields, JSONObjectReadable {
    /// `kz.registry.deadletter.v1`.
    public static var eventType: EventType { .deadLetter }

    /// The most value bytes a dead letter copies (docs/architecture.md §4.8: the first 64 KiB).
    public static let valueLimit = 64 * 1024

    /// The service that gave up on the message.
    public var service: String
    /// The topic it was read from (with prefix).
    public var topic: String
    /// Its partition.
    public var partition: Int
    /// Its offset.
    public var offset: Int64
    /// The key bytes, base64; `nil` when the message had no key.
    public var key: String?
    /// The first 64 KiB of the value bytes, base64; `nil` for a null value.
    public var value: String?
    /// Why it could not be processed.
    public var error: String

    /// Creates a dead letter from base64 strings.
    public init(service: String, topic: String, partition: Int, offset: Int64, key: String?, value: String?, error: String) {
        self.service = service
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.error = error
    }

    /// Creates a dead letter from the message's bytes, base64-encoding the key and the first
    /// ``valueLimit`` bytes of the value.
    public init(service: String, topic: String, partition: Int, offset: Int64, keyBytes: [UInt8]?, valueBytes: [UInt8]?, error: String) {
        self.init(
            service: service, topic: topic, partition: partition, offset: offset,
            key: keyBytes.map { Data($0).base64EncodedString() },
            value: valueBytes.map { Data($0.prefix(DeadLetter.valueLimit)).base64EncodedString() },
            error: error)
    }

    /// `nil`: a dead letter's subject is unknown (its data could not be read).
    public var eventSubject: String? { nil }

    /// Reads the members; `key` and `value` may be absent or `null` (`nil`).
    public init<Fields: JSONFieldReading>(fields r: inout Fields) throws(Fields.Failure) {
        error = try r.field("error")
        key = try r.fieldIfPresent("key")
        offset = try r.field("offset")
        partition = try r.field("partition")
        service = try r.field("service")
        topic = try r.field("topic")
        value = try r.fieldIfPresent("value")
    }

    /// Writes every field; a missing key or value as `null`.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("error", error)
        w.field("key", key)
        w.field("offset", offset)
        w.field("partition", partition)
        w.field("service", service)
        w.field("topic", topic)
        w.field("value", value)
    }
}
