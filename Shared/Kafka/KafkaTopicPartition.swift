// Topic/partition pairs and offsets.

/// A partition of a topic.
public struct KafkaTopicPartition: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The topic name (with any prefix already applied).
    public let topic: String
    /// The partition number.
    public let partition: Int32

    /// Creates a topic/partition pair.
    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)[\(partition)]" }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }
}

/// Where a consumer starts reading a partition.
public enum KafkaStartOffset: Hashable, Sendable, CustomStringConvertible {
    /// The oldest message the broker still holds.
    case beginning
    /// Only messages produced from now on.
    case end
    /// The group's committed offset on the broker (or `auto.offset.reset` when there is none).
    case committed
    /// An exact offset: the offset of the next message to read.
    case offset(Int64)

    public var description: String {
        switch self {
        case .beginning: "beginning"
        case .end: "end"
        case .committed: "committed"
        case .offset(let o): "\(o)"
        }
    }
}

/// The offsets a partition currently spans on the broker.
public struct KafkaWatermarks: Hashable, Sendable {
    /// The offset of the oldest message still held.
    public let low: Int64
    /// The offset the next produced message will get.
    public let high: Int64

    /// Creates a watermark pair.
    public init(low: Int64, high: Int64) {
        self.low = low
        self.high = high
    }
}

/// A start offset that the broker cannot honour because it lies beyond the end of the partition.
///
/// This is how a broker that lost its log shows itself (docs/architecture.md §8): the owner's store says it
/// already read up to `requested`, but the broker's partition ends at `watermarks.high`.
public struct KafkaOffsetBeyondEnd: Hashable, Sendable, CustomStringConvertible {
    /// The partition concerned.
    public let partition: KafkaTopicPartition
    /// The offset the owner asked to start from.
    public let requested: Int64
    /// The partition's offsets on the broker at assignment.
    public let watermarks: KafkaWatermarks

    /// Creates the description of an anomaly.
    public init(partition: KafkaTopicPartition, requested: Int64, watermarks: KafkaWatermarks) {
        self.partition = partition
        self.requested = requested
        self.watermarks = watermarks
    }

    public var description: String {
        "\(partition): stored offset \(requested) is beyond the broker's high watermark \(watermarks.high)"
    }
}
