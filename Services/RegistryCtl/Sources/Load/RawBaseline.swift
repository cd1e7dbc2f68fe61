// The broker's own speed: produce and consume, one hop, no services.

import Foundation
import Kafka

/// Produces the run's submissions (the same payloads, keyed by IIN) to a scratch topic
/// (12 partitions, like the registry's) with the services' producer settings and consumes them
/// back with their consumer settings: the ceiling the pipeline's end-to-end rate is compared
/// with. The clock starts once the consumer holds its partitions and stops at the last message
/// consumed.
struct RawBaseline {
    var load: BrokerOnlyRun

    mutating func run() async throws -> [String: Double] {
        let count = load.count
        let topic = load.scratchName("raw")
        try await load.createTopics([topic])
        let consumer = try load.consumer(group: topic, topics: [topic])
        let consumed = Task { () -> ContinuousClock.Instant in
            var received = 0
            for await batch in consumer.batches {
                received += batch.messages.count
                if received >= count { break }
            }
            return .now
        }
        try await load.waitUntilAssigned([consumer], reading: topic)
        report("raw baseline: \(count) submissions through \(topic), no services")
        let started = ContinuousClock.now
        let bytes = try await load.publishSubmissions(to: topic)
        let produced = (ContinuousClock.now - started).inSeconds
        let seconds = (await consumed.value - started).inSeconds
        await consumer.close()
        report("raw baseline: produced in \(String(format: "%.1f", produced)) s, consumed the last after \(String(format: "%.1f", seconds)) s: \(Int(Double(count) / seconds)) messages/s")
        return ["raw_events_per_s": Double(count) / seconds, "raw_seconds": seconds, "raw_message_bytes": Double(bytes / count), "raw_messages": Double(count)]
    }
}
