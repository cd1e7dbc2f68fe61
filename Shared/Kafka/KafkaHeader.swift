// Message headers.

/// A Kafka message header. Values are bytes; `nil` is a header without a value.
public struct KafkaHeader: Hashable, Sendable {
    /// The header name.
    public let key: String
    /// The header value, or `nil`.
    public let value: [UInt8]?

    /// Creates a header with a byte value.
    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }

    /// Creates a header with a UTF-8 string value.
    public init(key: String, string: String) {
        self.key = key
        self.value = Array(string.utf8)
    }

    /// The value as UTF-8 text, when it is valid UTF-8.
    public var stringValue: String? {
        value.flatMap { String(validating: $0, as: UTF8.self) }
    }
}

extension Array where Element == KafkaHeader {
    /// The value of the first header called `key`, as UTF-8 text.
    public func string(for key: String) -> String? {
        first { $0.key == key }?.stringValue
    }
}
