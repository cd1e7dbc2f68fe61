// Producer settings.

/// How a producer batches, acknowledges and times out.
///
/// Defaults follow docs/architecture.md §6: idempotent (`enable.idempotence=true`, `acks=all`), so a retry
/// inside librdkafka can neither duplicate nor reorder messages of one partition; and docs/architecture.md §3:
/// keys are partitioned with murmur2, as the Java client does.
public struct KafkaProducerConfiguration: Sendable {
    /// Connection settings.
    public var client: KafkaClientConfiguration
    /// `enable.idempotence`.
    public var idempotent: Bool = true
    /// `transactional.id`: set, the producer writes in transactions, and a newer producer with the
    /// same id fences it (``KafkaProducer/initTransactions(timeout:)``).
    public var transactionalID: String?
    /// `linger.ms`: how long to wait for more messages before sending a batch.
    public var linger: Duration = .milliseconds(5)
    /// `batch.num.messages`: most messages in one batch.
    public var batchMessages: Int = 10_000
    /// `batch.size`: most bytes in one batch.
    public var batchBytes: Int = 1_000_000
    /// `message.timeout.ms`: how long a message may wait for delivery before it fails.
    public var messageTimeout: Duration = .seconds(300)
    /// `message.max.bytes`: the largest message the client accepts.
    public var messageMaxBytes: Int = 1_000_000
    /// `queue.buffering.max.messages`: messages buffered in the client before `send` waits.
    public var queueMaxMessages: Int = 100_000
    /// `compression.codec`.
    public var compression: String = "none"
    /// `partitioner`: `murmur2_random`, the Java client's default (murmur2 of the key, positive,
    /// modulo the partition count; a random partition for a message without a key). librdkafka's
    /// own default (`consistent_random`, CRC32) puts a key in another partition than a Java
    /// producer would, which breaks co-partitioning with producers in other languages.
    public var partitioner: String = "murmur2_random"

    /// Creates a configuration with the given connection settings and the defaults of docs/architecture.md §6.
    public init(client: KafkaClientConfiguration) {
        self.client = client
    }

    var properties: [String: String] {
        var p = client.properties
        p["enable.idempotence"] = idempotent ? "true" : "false"
        if idempotent { p["acks"] = "all" }
        if let transactionalID {
            p["transactional.id"] = transactionalID
            p["transaction.timeout.ms"] = "\(max(messageTimeout.milliseconds, 60_000))"
        }
        p["linger.ms"] = "\(linger.milliseconds)"
        p["batch.num.messages"] = "\(batchMessages)"
        p["batch.size"] = "\(batchBytes)"
        p["message.timeout.ms"] = "\(messageTimeout.milliseconds)"
        p["message.max.bytes"] = "\(messageMaxBytes)"
        p["queue.buffering.max.messages"] = "\(queueMaxMessages)"
        p["compression.codec"] = compression
        p["partitioner"] = partitioner
        return p.merging(client.extraProperties) { _, extra in extra }
    }
}
