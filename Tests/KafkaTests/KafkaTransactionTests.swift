// Integration tests against the real broker: a transaction's offsets go in only with its messages.

import Foundation
import Kafka
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3))) struct KafkaTransactionTests {
    /// A partition's publisher retired while the relay publishes (its partition was revoked)
    /// refuses the messages; committing the offsets alone would tell the next owner that they were
    /// published (ScaleTests lost 18 address.changed that way).
    @Test func offsetsAreNotCommittedWhenTheTransactionsMessagesWereRefused() async throws {
        let input = TestBroker.uniqueName("txn-input")
        let output = TestBroker.uniqueName("txn-output")
        try await TestBroker.createTopics([input, output], partitions: 1)
        let group = TestBroker.uniqueName("txn-group")
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(client: try TestBroker.clientConfiguration("txn-consumer"), groupID: group), logger: TestLogger.quiet)
        try consumer.subscribe(to: [input])
        let polling = Task { for await _ in consumer.batches {} }
        defer { polling.cancel() }
        try await waitUntil("the group assigned the input") { !consumer.assignment.isEmpty }
        let metadata = try #require(consumer.groupMetadata)
        let partition = KafkaTopicPartition(topic: input, partition: 0)
        let message = KafkaProducerMessage(topic: output, key: "k", value: Array("v".utf8))

        func transactional() async throws -> KafkaProducer {
            var configuration = KafkaProducerConfiguration(client: try TestBroker.clientConfiguration("txn-producer"))
            configuration.transactionalID = "\(group)-0"
            let producer = try KafkaProducer(configuration: configuration, logger: TestLogger.quiet)
            try await producer.initTransactions()
            return producer
        }

        let retired = try await transactional()
        await retired.shutdown(flushTimeout: .seconds(1))
        await #expect(throws: KafkaError.self) {
            try await retired.publishInTransaction([message], offsets: [partition: 7], group: metadata)
        }
        #expect(try consumer.committedOffsets([partition])[partition] == nil, "no offset committed without its messages")

        // The same transaction through a working producer commits the offsets with the message.
        let working = try await transactional()
        try await working.publishInTransaction([message], offsets: [partition: 7], group: metadata)
        #expect(try consumer.committedOffsets([partition])[partition] == 7)
        await working.shutdown(flushTimeout: .seconds(1))
        await consumer.close()
    }
}
