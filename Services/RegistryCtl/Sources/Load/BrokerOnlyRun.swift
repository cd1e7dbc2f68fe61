// What the two broker-only baselines share: scratch topics, the load's submissions, consumers ready.

import Foundation
import Kafka
import ServiceRuntime

/// The parts of a baseline run without services: the broker, a producer with the services'
/// settings and the load's stream of submissions (the same payloads as the end-to-end run).
struct BrokerOnlyRun {
    let broker: BrokerOptions
    let admin: KafkaAdmin
    let producer: KafkaProducer
    let count: Int
    var generator: LoadGenerator

    /// A topic name under the run's prefix that no earlier run used.
    func scratchName(_ kind: String) -> String {
        broker.topicNames.prefix + "bench." + kind + "." + UUID().uuidString.prefix(8).lowercased()
    }

    /// Creates the topics with 12 partitions each, like the registry's.
    func createTopics(_ names: [String]) async throws {
        _ = try await admin.createTopics(names.map { KafkaTopicSpecification(name: $0, partitions: 12) })
    }

    /// A consumer with the services' settings, subscribed to `topics`.
    func consumer(group: String, topics: [String]) throws -> KafkaConsumer {
        let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: broker.clientConfiguration, groupID: group), logger: broker.logger)
        try consumer.subscribe(to: topics)
        return consumer
    }

    /// Waits until every consumer holds partitions, so the clock starts with all of them reading.
    func waitUntilAssigned(_ consumers: [KafkaConsumer], reading what: String) async throws {
        let joined = ContinuousClock.now
        while consumers.contains(where: { $0.assignment.isEmpty }) {
            guard ContinuousClock.now - joined < .seconds(60) else { throw LoadError("the baseline's consumers got no partitions of \(what) within a minute") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Publishes ``count`` submissions of the stream to `topic`, keyed by IIN, a few chunks
    /// ahead of the acknowledgements; returns the value bytes sent.
    mutating func publishSubmissions(to topic: String) async throws -> Int {
        var publisher = PipelinedPublisher(producer: producer)
        var (sent, bytes) = (0, 0)
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
        return bytes
    }
}
