// Integration tests against the real broker: a refused message fails its transaction, and a
// transaction the broker's absence left unfinished is finished before the next one.

import Foundation
import Kafka
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3))) struct KafkaTransactionTests {
    /// A partition's publisher retired while the relay publishes (its partition was revoked)
    /// refuses the messages; the transaction must fail, or the relay would commit its offsets
    /// past messages nobody published (ScaleTests lost 18 address.changed that way).
    @Test func aTransactionWhoseMessagesWereRefusedFails() async throws {
        let output = TestBroker.uniqueName("txn-output")
        try await TestBroker.createTopics([output], partitions: 1)
        let transactionalID = TestBroker.uniqueName("txn-refused")
        let message = KafkaProducerMessage(topic: output, key: "k", value: Array("v".utf8))

        func transactional() async throws -> KafkaProducer {
            var configuration = KafkaProducerConfiguration(client: try TestBroker.clientConfiguration("txn-producer"))
            configuration.transactionalID = transactionalID
            let producer = try KafkaProducer(configuration: configuration, logger: TestLogger.quiet)
            try await producer.initTransactions()
            return producer
        }

        let retired = try await transactional()
        await retired.shutdown(flushTimeout: .seconds(1))
        await #expect(throws: KafkaError.self) { try await retired.publishInTransaction([message]) }

        // The same transaction through a working producer commits.
        let working = try await transactional()
        let reports = try await working.publishInTransaction([message])
        #expect(reports.map(\.partition) == [KafkaTopicPartition(topic: output, partition: 0)])
        await working.shutdown(flushTimeout: .seconds(1))
    }

    /// A commit that timed out while the broker was away goes on in librdkafka's background, and
    /// until it is finished the producer refuses to begin another transaction (`_CONFLICT`:
    /// "commit_transaction API call is already in progress"): every later transaction of that
    /// partition would fail. The next transaction finishes it first; the group's offset is then
    /// committed by the member, as the relay does.
    @Test func aTransactionLeftUnfinishedByAnOutageIsFinishedByTheNextOne() async throws {
        let broker = try await PrivateBroker()
        let client = KafkaClientConfiguration(bootstrapServers: broker.bootstrapServers, clientID: "txn-outage")
        let admin = try KafkaAdmin(configuration: client, logger: TestLogger.silent)
        try await admin.createTopics([KafkaTopicSpecification(name: "txn-in", partitions: 1), KafkaTopicSpecification(name: "txn-out", partitions: 1)])
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(client: client, groupID: "txn-outage-group"), logger: TestLogger.silent)
        try consumer.subscribe(to: ["txn-in"])
        let polling = Task { for await _ in consumer.batches {} }
        defer { polling.cancel() }
        try await waitUntil("the group assigned the input") { !consumer.assignment.isEmpty }
        let partition = KafkaTopicPartition(topic: "txn-in", partition: 0)
        var configuration = KafkaProducerConfiguration(client: client)
        configuration.transactionalID = "txn-outage-group-0"
        let producer = try KafkaProducer(configuration: configuration, logger: TestLogger.silent)
        try await producer.initTransactions()
        try await producer.publishInTransaction([KafkaProducerMessage(topic: "txn-out", key: "k", value: Array("before".utf8))])
        try await consumer.commitAndWait([partition: 1])

        await broker.cut()
        let during = KafkaProducerMessage(topic: "txn-out", key: "k", value: Array("during".utf8))
        await #expect(throws: KafkaError.self, "the broker is away: the transaction cannot commit within 2 s") {
            try await producer.publishInTransaction([during], timeout: .seconds(2))
        }
        try await broker.restore()
        let after = KafkaProducerMessage(topic: "txn-out", key: "k", value: Array("after".utf8))
        var outcome: Result<[KafkaDeliveryReport], KafkaError> = .failure(KafkaError(kind: .delivery, message: "not tried"))
        // The last failure, not only the wait running out, is what the expectation below shows.
        try? await waitUntil("a transaction commits after the broker returned", timeout: .seconds(60), interval: .milliseconds(500)) {
            do {
                outcome = .success(try await producer.publishInTransaction([during, after], timeout: .seconds(5)))
                return true
            } catch let error as KafkaError {
                outcome = .failure(error)
                // Failing for good is an answer too: waiting longer would not change it.
                return error.isFatal
            }
        }
        if case .failure(let error) = outcome { Issue.record("the producer did not publish again after the broker returned: \(error)") }
        #expect((try? outcome.get())?.count == 2)
        try await consumer.commitAndWait([partition: 3])
        #expect(try consumer.committedOffsets([partition])[partition] == 3)
        await producer.shutdown(flushTimeout: .seconds(1))
        await consumer.close()
    }
}
