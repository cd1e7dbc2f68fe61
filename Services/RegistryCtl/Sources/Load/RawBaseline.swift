// The broker's own speed: produce and consume, one hop, no services.

import Foundation
import Kafka
import ServiceRuntime

/// Produces `count` submissions of the load's stream (the same payloads, keyed by IIN) to a
/// scratch topic (12 partitions, like the registry's) with the services' producer settings and
/// consumes them back with their consumer settings: the ceiling the pipeline's end-to-end rate is compared with. The clock starts once
/// the consumer holds its partitions and stops at the last message consumed.
struct RawBaseline {
    let broker: BrokerOptions
    let admin: KafkaAdmin
    let producer: KafkaProducer
    let count: Int
    var generator: LoadGenerator

    mutating func run() async throws -> [String: Double] {
        let topic = broker.topicNames.prefix + "bench.raw." + UUID().uuidString.prefix(8).lowercased()
        _ = try await admin.createTopics([KafkaTopicSpecification(name: topic, partitions: 12)])
        let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: broker.clientConfiguration, groupID: topic), logger: broker.logger)
        try consumer.subscribe(to: [topic])
        let total = count
        let consumed = Task { () -> ContinuousClock.Instant in
            var received = 0
            for await batch in consumer.batches {
                received += batch.messages.count
                if received >= total { break }
            }
            return .now
        }
        let joined = ContinuousClock.now
        while consumer.assignment.isEmpty {
            guard ContinuousClock.now - joined < .seconds(60) else { throw LoadError("the baseline consumer got no partitions of \(topic) within a minute") }
            try await Task.sleep(for: .milliseconds(20))
        }
        report("raw baseline: \(count) submissions through \(topic), no services")
        var bytes = 0
        let started = ContinuousClock.now
        var publisher = PipelinedPublisher(producer: producer)
        var sent = 0
        while sent < count {
            let chunk = try (sent..<min(count, sent + 5_000)).map { _ in
                let event = generator.next()!.event
                return try KafkaProducerMessage.event(event, topic: topic, key: event.data.person.iin.rawValue)
            }
            bytes += chunk.reduce(0) { $0 + ($1.value?.count ?? 0) }
            sent += chunk.count
            try await publisher.publish(chunk)
        }
        try await publisher.finish()
        let produced = (ContinuousClock.now - started).inSeconds
        let seconds = (await consumed.value - started).inSeconds
        await consumer.close()
        report("raw baseline: produced in \(String(format: "%.1f", produced)) s, consumed the last after \(String(format: "%.1f", seconds)) s: \(Int(Double(count) / seconds)) messages/s")
        return ["raw_events_per_s": Double(count) / seconds, "raw_seconds": seconds, "raw_message_bytes": Double(bytes / count), "raw_messages": Double(count)]
    }
}
