// A message to produce.

/// A message to send to a topic. Without a partition, the partitioner picks one from the key
/// (``KafkaProducerConfiguration/partitioner``, murmur2 as in the Java client: all messages with
/// one key go to one partition, the same one whichever client produced them).
public struct KafkaProducerMessage: Sendable {
    /// The topic to send to (prefix already applied).
    public var topic: String
    /// A fixed partition, or `nil` to partition by key.
    public var partition: Int32?
    /// The message key, or `nil`.
    public var key: [UInt8]?
    /// The message value, or `nil` for a tombstone.
    public var value: [UInt8]?
    /// Headers, in order.
    public var headers: [KafkaHeader]

    /// Creates a message.
    /// - Parameters:
    ///   - topic: The topic to send to.
    ///   - partition: A fixed partition, or `nil` to partition by key.
    ///   - key: The key bytes.
    ///   - value: The value bytes; `nil` produces a tombstone.
    ///   - headers: Headers to attach.
    public init(topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader] = []) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
    }

    /// Creates a message with a UTF-8 string key.
    public init(topic: String, partition: Int32? = nil, key: String, value: [UInt8]?, headers: [KafkaHeader] = []) {
        self.init(topic: topic, partition: partition, key: Array(key.utf8), value: value, headers: headers)
    }
}

/// Where a message was stored, from its delivery report.
public struct KafkaDeliveryReport: Hashable, Sendable {
    /// The partition the message went to.
    public let partition: KafkaTopicPartition
    /// Its offset in that partition.
    public let offset: Int64
}
