// Confirming a partition's high watermark from a fetch response.

import CRdKafka

/// Learns partitions' true high watermarks by fetching from them.
///
/// `rd_kafka_query_watermark_offsets` asks the broker with ListOffsets. Apache Kafka answers with
/// the high watermark, but Tansu (the test broker, docs/architecture.md §8) answers with the base offset of the
/// partition's last record batch + 1, which is lower whenever that batch holds several records.
/// A fetch response carries the true high watermark on both, so when a stored offset is above the
/// ListOffsets answer, this probe fetches from the last batch to decide whether the log was lost.
enum RDKafkaHighWatermarkProbe {
    /// Fetches each partition from `from` (an offset that exists) and returns its high watermark
    /// as reported by the fetch response.
    static func highWatermarks(
        properties: [String: String], partitions: [(KafkaTopicPartition, from: Int64)], timeout: Duration
    ) throws -> [KafkaTopicPartition: Int64] {
        // A consumer of its own: no group settings of the caller, no producer-only settings (an
        // admin client's properties come from a producer handle).
        let producerOnly: Set<String> = ["enable.idempotence", "acks", "linger.ms", "batch.num.messages", "batch.size", "compression.type", "message.timeout.ms"]
        var probeProperties = properties.filter { !$0.key.hasPrefix("group.") && $0.key != "partition.assignment.strategy" && !producerOnly.contains($0.key) }
        probeProperties["group.id"] = "address-registry-watermark-probe"
        probeProperties["enable.auto.commit"] = "false"
        probeProperties["enable.partition.eof"] = "true"
        probeProperties["fetch.max.bytes"] = "1048576"
        let conf = try RDKafkaConfig.make(probeProperties)
        var errorBuffer = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errorBuffer, errorBuffer.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(kind: .consumer, message: "could not create the watermark probe")
        }
        defer {
            rd_kafka_consumer_close(handle)
            rd_kafka_destroy(handle)
        }
        let list = RDKafkaTopicPartitionList.make(partitions.map { ($0.0, $0.from) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let code = rd_kafka_assign(handle, list)
        if code != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rd(.consumer, code, context: "watermark probe assign") }

        var result: [KafkaTopicPartition: Int64] = [:]
        let deadline = ContinuousClock.now + timeout
        while result.count < partitions.count && ContinuousClock.now < deadline {
            guard let message = rd_kafka_consumer_poll(handle, 100) else { continue }
            defer { rd_kafka_message_destroy(message) }
            let m = message.pointee
            guard let topicPointer = m.rkt.flatMap({ rd_kafka_topic_name($0) }) else { continue }
            let tp = KafkaTopicPartition(topic: String(cString: topicPointer), partition: m.partition)
            guard result[tp] == nil else { continue }
            if m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
                result[tp] = m.offset
            } else if m.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                var low: Int64 = 0
                var high: Int64 = 0
                if rd_kafka_get_watermark_offsets(handle, tp.topic, tp.partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 {
                    result[tp] = max(high, m.offset + 1)
                }
            }
        }
        guard result.count == partitions.count else {
            throw KafkaError(kind: .timedOut, message: "watermark probe: no fetch answer within \(timeout)")
        }
        return result
    }
}
