// Integration tests: delivery failures surface as thrown errors; topic admin is idempotent.

import Kafka
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3))) struct KafkaFailureTests {
    @Test func aMessageOverTheSizeLimitIsAThrownError() async throws {
        let topic = TestBroker.uniqueName("too-large")
        try await TestBroker.createTopics([topic], partitions: 1)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try TestBroker.clientConfiguration()), logger: TestLogger.quiet)
        let error = await #expect(throws: KafkaError.self) {
            try await producer.send(KafkaProducerMessage(topic: topic, key: "k", value: [UInt8](repeating: 42, count: 2_000_000)))
        }
        #expect(error?.isMessageTooLarge == true)
        // The producer still works afterwards.
        let report = try await producer.send(KafkaProducerMessage(topic: topic, key: "k", value: [1]))
        #expect(report.offset == 0)
    }

    @Test func aSendWithNoBrokerFailsAfterTheMessageTimeout() async throws {
        _ = try TestBroker.bootstrapServers()
        var configuration = KafkaProducerConfiguration(client: KafkaClientConfiguration(bootstrapServers: "127.0.0.1:1", clientID: "test-down"))
        configuration.messageTimeout = .seconds(2)
        let producer = try KafkaProducer(configuration: configuration, logger: TestLogger.silent)
        let error = await #expect(throws: KafkaError.self) {
            try await producer.send(KafkaProducerMessage(topic: "nowhere", key: "k", value: [1]))
        }
        #expect(error?.isMessageTimedOut == true)
        #expect(await producer.isBrokerReachable(timeout: .milliseconds(300)) == false)
    }

    @Test func creatingTopicsIsIdempotentAndListingShowsPartitions() async throws {
        let admin = try KafkaAdmin(configuration: try TestBroker.clientConfiguration("test-admin"), logger: TestLogger.quiet)
        let compacted = TestBroker.uniqueName("compact")
        let plain = TestBroker.uniqueName("plain")
        let specs = [
            KafkaTopicSpecification(name: compacted, partitions: 12, configs: ["cleanup.policy": "compact"]),
            KafkaTopicSpecification(name: plain, partitions: 3, configs: ["cleanup.policy": "delete"]),
        ]
        let first = try await admin.createTopics(specs)
        #expect(first == [compacted: .created, plain: .created])
        let second = try await admin.createTopics(specs)
        #expect(second == [compacted: .alreadyExisted, plain: .alreadyExisted])
        let topics = try await admin.listTopics()
        #expect(topics.first { $0.name == compacted }?.partitions == Array(0..<12))
        #expect(topics.first { $0.name == plain }?.partitions == [0, 1, 2])
        let marks = try await admin.watermarks(of: KafkaTopicPartition(topic: plain, partition: 0))
        #expect(marks == KafkaWatermarks(low: 0, high: 0))
    }
}
