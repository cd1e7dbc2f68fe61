// The Kafka Java client's default partitioner for keyed messages, written out independently of
// librdkafka, so tests can check where our producers put a key.

/// `org.apache.kafka.common.utils.Utils.murmur2` and the partition the Java producer picks for a
/// key: `toPositive(murmur2(keyBytes)) % numPartitions`.
public enum JavaPartitioner {
    /// The partition of `key` in a topic of `partitions` partitions.
    public static func partition(of key: String, partitions: Int32) -> Int32 {
        Int32(bitPattern: murmur2(Array(key.utf8)) & 0x7fff_ffff) % partitions
    }

    /// Java's murmur2 (seed `0x9747b28c`): the bits of the `int` Java returns.
    public static func murmur2(_ data: [UInt8]) -> UInt32 {
        let m: UInt32 = 0x5bd1_e995
        let r: UInt32 = 24
        var h: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: data.count)
        let whole = data.count / 4
        for i in 0..<whole {
            let b = i * 4
            var k = UInt32(data[b]) | UInt32(data[b + 1]) << 8 | UInt32(data[b + 2]) << 16 | UInt32(data[b + 3]) << 24
            k = k &* m
            k ^= k >> r
            k = k &* m
            h = h &* m
            h ^= k
        }
        let tail = whole * 4
        switch data.count % 4 {
        case 3:
            h ^= UInt32(data[tail + 2]) << 16
            h ^= UInt32(data[tail + 1]) << 8
            h ^= UInt32(data[tail])
            h = h &* m
        case 2:
            h ^= UInt32(data[tail + 1]) << 8
            h ^= UInt32(data[tail])
            h = h &* m
        case 1:
            h ^= UInt32(data[tail])
            h = h &* m
        default:
            break
        }
        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return h
    }
}
