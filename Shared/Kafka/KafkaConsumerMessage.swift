// Messages and batches handed to a consumer's owner.

/// A message read from a partition.
public struct KafkaConsumerMessage: Sendable {
    /// The topic and partition it was read from.
    public let topicPartition: KafkaTopicPartition
    /// Its offset within the partition.
    public let offset: Int64
    /// The key bytes, or `nil`.
    public let key: [UInt8]?
    /// The value bytes, or `nil` for a tombstone.
    public let value: [UInt8]?
    /// Its headers, in order.
    public let headers: [KafkaHeader]
    /// The message timestamp in milliseconds since 1970, when the broker or producer set one.
    public let timestampMilliseconds: Int64?

    /// Creates a message (the consumer does this; tests may too).
    public init(
        topicPartition: KafkaTopicPartition, offset: Int64, key: [UInt8]?, value: [UInt8]?,
        headers: [KafkaHeader], timestampMilliseconds: Int64?
    ) {
        self.topicPartition = topicPartition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }

    /// The topic name.
    public var topic: String { topicPartition.topic }
    /// The partition number.
    public var partition: Int32 { topicPartition.partition }
    /// The key as UTF-8 text, when it is valid UTF-8.
    public var keyString: String? { key.flatMap { String(validating: $0, as: UTF8.self) } }
}

/// What one poll of the consumer produced: up to `maxBatchSize` messages gathered within
/// `maxBatchWait`, and the partitions whose end was reached during that poll.
public struct KafkaConsumerBatch: Sendable {
    /// The messages, in partition order (messages of one partition keep their order).
    public let messages: [KafkaConsumerMessage]
    /// Partitions that were read to their current end during this poll.
    public let reachedEnd: [KafkaTopicPartition]
    /// The end offset of each partition in ``reachedEnd``: every message before it was in this
    /// batch or an earlier one (offsets without a message, such as transaction markers, count).
    public var endOffsets: [KafkaTopicPartition: Int64] = [:]
}
