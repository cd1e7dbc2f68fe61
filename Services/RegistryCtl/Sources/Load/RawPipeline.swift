// The broker's ceiling for the registry's topology: the pipeline's messages, no services.

import Foundation
import Kafka

/// Carries the run's submissions through the registry's message topology with consumers that
/// only forward bytes: what the broker and the Kafka clients alone allow the end-to-end figure.
///
/// A submission becomes four messages (submitted, accepted, changed, current) and seven reads
/// (intake reads submitted, the index accepted, notification changed, audit all four). Here
/// four scratch topics (12 partitions each) stand for them and four consumers in this process
/// for the services: "intake" forwards each message to the second topic, "index" to the third and
/// fourth, "notification" reads the third, "audit" all four. Each forwarding stage waits for its
/// produces to be acknowledged and commits its offsets per batch, as the services do; nothing is
/// decoded or stored. Every message keeps the submission's bytes (the real derived events are
/// larger), so this is a ceiling. The clock runs from the first produce until audit has read
/// every message and notification its share.
struct RawPipeline {
    var load: BrokerOnlyRun

    private struct Stage {
        let name: String
        let reads: [String]
        let forwardsTo: [String]
        let expects: Int
    }

    mutating func run() async throws -> [String: Double] {
        let count = load.count
        let base = load.scratchName("pipeline")
        let topics = ["submitted", "accepted", "changed", "current"].map { base + "." + $0 }
        try await load.createTopics(topics)
        let stages = [
            Stage(name: "intake", reads: [topics[0]], forwardsTo: [topics[1]], expects: count),
            Stage(name: "index", reads: [topics[1]], forwardsTo: [topics[2], topics[3]], expects: count),
            Stage(name: "notification", reads: [topics[2]], forwardsTo: [], expects: count),
            Stage(name: "audit", reads: topics, forwardsTo: [], expects: 4 * count),
        ]
        let consumers = try stages.map { try load.consumer(group: base + "." + $0.name, topics: $0.reads) }
        let producer = load.producer
        let finished = zip(consumers, stages).map { consumer, stage in
            Task { () throws -> ContinuousClock.Instant in
                var received = 0
                for await batch in consumer.batches where !batch.messages.isEmpty {
                    received += batch.messages.count
                    let forwarded = batch.messages.flatMap { message in
                        stage.forwardsTo.map { KafkaProducerMessage(topic: $0, key: message.key, value: message.value, headers: message.headers) }
                    }
                    if !forwarded.isEmpty {
                        for result in await producer.deliver(forwarded) { if case .failure(let error) = result { throw error } }
                    }
                    var offsets: [KafkaTopicPartition: Int64] = [:]
                    for message in batch.messages { offsets[message.topicPartition] = max(offsets[message.topicPartition] ?? 0, message.offset + 1) }
                    try consumer.commit(offsets)
                    if received >= stage.expects { break }
                }
                return .now
            }
        }
        try await load.waitUntilAssigned(consumers, reading: base + ".*")
        report("raw pipeline: \(count) submissions through \(base).{submitted,accepted,changed,current}, forwarding consumers, no services")
        let started = ContinuousClock.now
        _ = try await load.publishSubmissions(to: topics[0])
        let produced = (ContinuousClock.now - started).inSeconds
        var last = started
        for task in finished { last = max(last, try await task.value) }
        let seconds = (last - started).inSeconds
        for consumer in consumers { await consumer.close() }
        report("raw pipeline: produced in \(String(format: "%.1f", produced)) s, audit read the last after \(String(format: "%.1f", seconds)) s: \(Int(Double(count) / seconds)) submissions/s")
        return ["raw_pipeline_events_per_s": Double(count) / seconds, "raw_pipeline_seconds": seconds, "raw_pipeline_messages": Double(count)]
    }
}
