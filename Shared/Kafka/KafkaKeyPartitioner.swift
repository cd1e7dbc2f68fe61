// The partition a key goes to: murmur2, as the Java client and `partitioner=murmur2_random` put it.

/// The Java client's default partitioner for keyed messages (`murmur2_random` in librdkafka):
/// `toPositive(murmur2(key)) % partitions`. A service that must know which partition holds a key
/// (intake sends a submission that arrived in another partition to the one its person lives in)
/// computes it here.
public enum KafkaKeyPartitioner {
    /// The partition of `key` in a topic of `partitions` partitions.
    public static func partition(of key: some Collection<UInt8>, partitions: Int32) -> Int32 {
        Int32(bitPattern: murmur2(Array(key)) & 0x7fff_ffff) % max(partitions, 1)
    }

    /// Kafka's murmur2 (seed `0x9747b28c`) of `data`.
    public static func murmur2(_ data: [UInt8]) -> UInt32 {
        let m: UInt32 = 0x5bd1_e995
        var h: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: data.count)
        let whole = data.count / 4
        for i in 0..<whole {
            let b = i * 4
            var k = UInt32(data[b]) | UInt32(data[b + 1]) << 8 | UInt32(data[b + 2]) << 16 | UInt32(data[b + 3]) << 24
            k = k &* m
            k ^= k >> 24
            k = k &* m
            h = h &* m
            h ^= k
        }
        let tail = whole * 4
        let left = data.count - tail
        if left == 3 { h ^= UInt32(data[tail + 2]) << 16 }
        if left >= 2 { h ^= UInt32(data[tail + 1]) << 8 }
        if left >= 1 {
            h ^= UInt32(data[tail])
            h = h &* m
        }
        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return h
    }
}
