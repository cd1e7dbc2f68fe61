// The Kafka Java client's default partitioner for keyed messages, as tests name it.

import Kafka

/// `org.apache.kafka.common.utils.Utils.murmur2` and the partition the Java producer picks for a
/// key: `toPositive(murmur2(keyBytes)) % numPartitions`. The code is the services' own
/// (``KafkaKeyPartitioner``); `JavaPartitionerTests` checks it against the Java client's published
/// vectors, and the producer tests check librdkafka's `murmur2_random` against it.
public enum JavaPartitioner {
    /// The partition of `key` in a topic of `partitions` partitions.
    public static func partition(of key: String, partitions: Int32) -> Int32 {
        KafkaKeyPartitioner.partition(of: Array(key.utf8), partitions: partitions)
    }

    /// Java's murmur2 (seed `0x9747b28c`): the bits of the `int` Java returns.
    public static func murmur2(_ data: [UInt8]) -> UInt32 { KafkaKeyPartitioner.murmur2(data) }
}
