// Integration tests against the real broker: produce, consume, order, headers, flush.

import Foundation
import Kafka
import Synchronization
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(5))) struct KafkaProducerConsumerTests {
    func producer(_ tweak: (inout KafkaProducerConfiguration) -> Void = { _ in }) throws -> KafkaProducer {
        var configuration = KafkaProducerConfiguration(client: try TestBroker.clientConfiguration("test-producer"))
        tweak(&configuration)
        return try KafkaProducer(configuration: configuration, logger: TestLogger.quiet)
    }

    func consumer(group: String, hooks: KafkaRebalanceHooks = KafkaRebalanceHooks()) throws -> KafkaConsumer {
        var configuration = KafkaConsumerConfiguration(client: try TestBroker.clientConfiguration("test-consumer"), groupID: group)
        configuration.maxBatchSize = 5_000
        return try KafkaConsumer(configuration: configuration, hooks: hooks, logger: TestLogger.quiet)
    }

    @Test func aHundredThousandKeyedMessagesArriveOnceAndInOrderPerKey() async throws {
        let topic = TestBroker.uniqueName("bulk")
        try await TestBroker.createTopics([topic], partitions: 12)
        let producer = try producer()
        let total = 100_000
        let keys = 1_000
        let messages = Self.sequenced(0..<total, keys: keys, topic: topic)
        let started = ContinuousClock.now
        var reports: [KafkaDeliveryReport] = []
        for chunk in stride(from: 0, to: total, by: 10_000) {
            reports += try await producer.send(Array(messages[chunk..<min(chunk + 10_000, total)]))
        }
        #expect(reports.count == total)
        print("produced \(total) messages in \(ContinuousClock.now - started)")

        let summary = try await consumeChecked(topic, total: total, group: "bulk-group", timeout: .seconds(180))
        #expect(summary.received == total)
        #expect(summary.outOfOrder == 0)
        #expect(summary.keysOnSeveralPartitions == 0)
        #expect(summary.messagesPerKey.count == keys)
        #expect(summary.messagesPerKey.values.allSatisfy { $0 == total / keys })
        print("consumed \(summary.received) messages from \(summary.partitions) partitions: none lost, none out of order")
    }

    @Test func chunksEnqueuedAheadOfTheirReportsKeepEachKeysOrderThroughAFullQueue() async throws {
        let topic = TestBroker.uniqueName("pipelined")
        try await TestBroker.createTopics([topic], partitions: 3)
        // A local queue far smaller than a chunk: every chunk waits for room part-way through.
        let producer = try producer { $0.queueMaxMessages = 200 }
        let total = 20_000
        let keys = 50
        let messages = Self.sequenced(0..<total, keys: keys, topic: topic)
        var pending: [PendingDelivery] = []
        for chunk in stride(from: 0, to: total, by: 1_000) {
            pending.append(await producer.enqueue(Array(messages[chunk..<min(chunk + 1_000, total)])))
        }
        // Two callers may wait on the same chunk's reports (the last chunk's are still coming).
        let last = try #require(pending.last)
        async let first = last.results().count
        async let second = last.results().count
        #expect(await [first, second] == [1_000, 1_000])
        var delivered = 0
        for delivery in pending { delivered += try await delivery.results().map { try $0.get() }.count }
        #expect(delivered == total)

        let summary = try await consumeChecked(topic, total: total, group: "pipelined-group", timeout: .seconds(120))
        #expect(summary.received == total)
        #expect(summary.outOfOrder == 0)
        #expect(summary.messagesPerKey.values.allSatisfy { $0 == total / keys })
    }

    @Test func aPipelinedPublisherKeepsEachKeysOrderAndEndsAtTheFirstFailure() async throws {
        let topic = TestBroker.uniqueName("publisher")
        try await TestBroker.createTopics([topic], partitions: 3)
        let producer = try producer {
            $0.queueMaxMessages = 200
            $0.messageMaxBytes = 10_000
        }
        let (total, keys, chunkSize) = (10_000, 20, 500)
        var publisher = PipelinedPublisher(producer: producer, depth: 3)
        for start in stride(from: 0, to: total, by: chunkSize) {
            try await publisher.publish(Self.sequenced(start..<start + chunkSize, keys: keys, topic: topic))
        }
        try await publisher.finish()
        let summary = try await consumeChecked(topic, total: total, group: "publisher-group", timeout: .seconds(120))
        #expect(summary.received == total)
        #expect(summary.outOfOrder == 0)

        // A message larger than the producer takes fails its chunk; the run ends with that error
        // at the latest when the chunk is waited for.
        var failing = PipelinedPublisher(producer: producer, depth: 2)
        let tooLarge = KafkaProducerMessage(topic: topic, key: "key-0", value: Array(repeating: 0x61, count: 20_000))
        await #expect(throws: KafkaError.self) {
            try await failing.publish([tooLarge])
            try await failing.publish([])
            try await failing.finish()
        }
    }

    /// Messages `range` of a stream over `keys` keys whose values count up per key, as
    /// ``consumeChecked(_:total:)`` checks them: message `i` has key `key-(i % keys)` and value `i / keys`.
    static func sequenced(_ range: Range<Int>, keys: Int, topic: String) -> [KafkaProducerMessage] {
        range.map { i in KafkaProducerMessage(topic: topic, key: "key-\(i % keys)", value: Array("\(i / keys)".utf8)) }
    }

    struct ConsumeSummary: Sendable {
        var received = 0
        var outOfOrder = 0
        var keysOnSeveralPartitions = 0
        var messagesPerKey: [String: Int] = [:]
        var partitions = 0
    }

    /// Reads `total` messages of `topic` in a new group, checking order (see below).
    func consumeChecked(_ topic: String, total: Int, group: String, timeout: Duration) async throws -> ConsumeSummary {
        let consumer = try consumer(group: TestBroker.uniqueName(group))
        try consumer.subscribe(to: [topic])
        let summary = try await withTimeout("consuming \(total) messages", timeout) {
            try await Self.consumeChecked(consumer, total: total)
        }
        await consumer.close()
        return summary
    }

    /// Reads `total` messages whose value is the per-key sequence number, checking order.
    static func consumeChecked(_ consumer: KafkaConsumer, total: Int) async throws -> ConsumeSummary {
        var summary = ConsumeSummary()
        var partitionOfKey: [String: Int32] = [:]
        var lastOffset: [Int32: Int64] = [:]
        for await batch in consumer.batches {
            for message in batch.messages {
                let key = try #require(message.keyString)
                let sequence = Int(String(decoding: try #require(message.value), as: UTF8.self))!
                if sequence != summary.messagesPerKey[key, default: 0] { summary.outOfOrder += 1 }
                summary.messagesPerKey[key] = sequence + 1
                if partitionOfKey[key, default: message.partition] != message.partition { summary.keysOnSeveralPartitions += 1 }
                partitionOfKey[key] = message.partition
                if message.offset <= lastOffset[message.partition, default: -1] { summary.outOfOrder += 1 }
                lastOffset[message.partition] = message.offset
                summary.received += 1
            }
            if summary.received >= total { break }
        }
        summary.partitions = lastOffset.count
        return summary
    }

    /// docs/architecture.md §3: every producer partitions with murmur2 like the Java client, so a key lands in
    /// the same partition whoever produced it (librdkafka's default, CRC32, would not).
    @Test func keysLandInThePartitionTheJavaClientPicks() async throws {
        let topic = TestBroker.uniqueName("murmur2")
        try await TestBroker.createTopics([topic], partitions: 12)
        let keys = (0..<120).map { "86010130\(String(format: "%04d", $0))" }
        let reports = try await producer().send(keys.map { KafkaProducerMessage(topic: topic, key: $0, value: Array($0.utf8)) })
        let misplaced = zip(keys, reports).filter { key, report in report.partition.partition != JavaPartitioner.partition(of: key, partitions: 12) }
        #expect(misplaced.isEmpty, "\(misplaced.count) of \(keys.count) keys in another partition than Java's murmur2 picks")
        #expect(Set(reports.map(\.partition.partition)).count == 12, "the keys spread over every partition")
    }

    @Test func headersKeysAndTombstonesRoundTrip() async throws {
        let topic = TestBroker.uniqueName("headers")
        try await TestBroker.createTopics([topic], partitions: 1)
        let producer = try producer()
        let headers = [
            KafkaHeader(key: "content-type", string: "application/cloudevents+json"),
            KafkaHeader(key: "binary", value: [0, 255, 7]),
            KafkaHeader(key: "empty", value: nil),
        ]
        try await producer.send(KafkaProducerMessage(topic: topic, key: "860101****25", value: Array("{}".utf8), headers: headers))
        try await producer.send(KafkaProducerMessage(topic: topic, key: "gone", value: nil))

        let consumer = try consumer(group: TestBroker.uniqueName("headers"))
        try consumer.subscribe(to: [topic])
        var messages: [KafkaConsumerMessage] = []
        for await batch in consumer.batches {
            messages += batch.messages
            if messages.count >= 2 { break }
        }
        await consumer.close()
        #expect(messages[0].headers == headers)
        #expect(messages[0].headers.string(for: "content-type") == "application/cloudevents+json")
        #expect(messages[0].keyString == "860101****25")
        #expect(messages[0].timestampMilliseconds != nil)
        #expect(messages[1].value == nil)
        #expect(messages[1].keyString == "gone")
    }

    /// A new producer learns its id from the broker before it sends anything (what `registryctl
    /// load` waits for before it times messages); its first message then goes out at once.
    @Test func aProducerLearnsItsIDBeforeItSends() async throws {
        let topic = TestBroker.uniqueName("producer-id")
        try await TestBroker.createTopics([topic], partitions: 1)
        let producer = try producer { $0.client.statisticsInterval = .milliseconds(50) }
        try await producer.awaitProducerID(timeout: .seconds(30))
        let report = try await producer.send(KafkaProducerMessage(topic: topic, key: "k", value: Array("v".utf8)))
        #expect(report.offset == 0)
        await producer.shutdown(flushTimeout: .seconds(1))
    }

    @Test func shutdownFlushesMessagesStillInFlight() async throws {
        let topic = TestBroker.uniqueName("flush")
        try await TestBroker.createTopics([topic], partitions: 3)
        let producer = try producer { $0.linger = .milliseconds(500) }
        let count = 10_000
        let messages = (0..<count).map { KafkaProducerMessage(topic: topic, key: "k\($0 % 50)", value: Array("\($0)".utf8)) }
        let sending = Task { try await producer.send(messages) }
        try await waitUntil("messages are handed to the producer") { producer.inFlight > 0 }
        let undelivered = await producer.shutdown(flushTimeout: .seconds(30))
        #expect(undelivered == 0)
        let reports = try await sending.value
        #expect(reports.count == count)
        await #expect(throws: KafkaError.self) { try await producer.send(messages[0]) }

        let consumer = try consumer(group: TestBroker.uniqueName("flush"))
        try consumer.subscribe(to: [topic])
        var received = 0
        for await batch in consumer.batches {
            received += batch.messages.count
            if received >= count { break }
        }
        await consumer.close()
        #expect(received == count)
    }
}
