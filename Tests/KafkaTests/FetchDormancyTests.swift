// Integration tests against the real broker: an idle consumer stops fetching, and misses nothing.

import Foundation
@testable import Kafka
import Synchronization
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3))) struct FetchDormancyTests {
    /// What a consumer took, per partition, in order.
    final class Taken: Sendable {
        private let offsets = Mutex<[Int32: [Int64]]>([:])
        func add(_ batch: KafkaConsumerBatch) {
            offsets.withLock { o in for m in batch.messages { o[m.partition, default: []].append(m.offset) } }
        }
        var count: Int { offsets.withLock { $0.values.map(\.count).reduce(0, +) } }
        /// Every partition's offsets increase, none taken twice.
        var inOrderWithoutRepeats: Bool {
            offsets.withLock { o in o.values.allSatisfy { zip($0, $0.dropFirst()).allSatisfy { $0 < $1 } } }
        }
    }

    func consumer(group: String) throws -> KafkaConsumer {
        var configuration = KafkaConsumerConfiguration(client: try TestBroker.clientConfiguration("dormancy"), groupID: group)
        configuration.dormancy = FetchDormancySettings(after: .seconds(1), checkInterval: .milliseconds(100))
        return try KafkaConsumer(configuration: configuration, logger: TestLogger.quiet)
    }

    func messages(_ topic: String, _ range: Range<Int>) -> [KafkaProducerMessage] {
        range.map { KafkaProducerMessage(topic: topic, key: "key-\($0)", value: Array("\($0)".utf8)) }
    }

    /// After its idle time the consumer stops fetching; what is sent afterwards (plain, or in a
    /// transaction whose commit marker follows it) still arrives once, in order, and the
    /// consumer stops again once it is idle: the marker alone does not keep it fetching.
    @Test func anIdleConsumerStopsFetchingAndStillTakesWhatComesNext() async throws {
        let topic = TestBroker.uniqueName("dormancy")
        try await TestBroker.createTopics([topic], partitions: 3)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try TestBroker.clientConfiguration("dormancy-producer")), logger: TestLogger.quiet)
        _ = try await producer.send(messages(topic, 0..<30))
        let consumer = try consumer(group: TestBroker.uniqueName("dormancy-group"))
        try consumer.subscribe(to: [topic])
        let taken = Taken()
        let polling = Task { for await batch in consumer.batches { taken.add(batch) } }
        defer { polling.cancel() }
        try await waitUntil("the first 30 messages taken") { taken.count >= 30 }
        try await waitUntil("fetching stopped", timeout: .seconds(15)) { consumer.isFetchDormant }

        _ = try await producer.send(messages(topic, 30..<33))
        try await waitUntil("3 messages sent to a dormant consumer taken", timeout: .seconds(30)) { taken.count >= 33 }
        try await waitUntil("fetching stopped again", timeout: .seconds(15)) { consumer.isFetchDormant }

        var configuration = KafkaProducerConfiguration(client: try TestBroker.clientConfiguration("dormancy-txn"))
        configuration.transactionalID = TestBroker.uniqueName("dormancy-txn")
        let transactional = try KafkaProducer(configuration: configuration, logger: TestLogger.quiet)
        try await transactional.initTransactions()
        let reports = try await transactional.publishInTransaction([KafkaProducerMessage(topic: topic, key: "key-0", value: Array("txn".utf8))])
        try await waitUntil("a message of a transaction taken", timeout: .seconds(30)) { taken.count >= 34 }
        try await waitUntil("fetching stopped after the transaction", timeout: .seconds(15)) { consumer.isFetchDormant }
        #expect(reports.count == 1)
        #expect(taken.count == 34)
        #expect(taken.inOrderWithoutRepeats)
        await transactional.shutdown(flushTimeout: .seconds(1))
        await producer.shutdown(flushTimeout: .seconds(1))
        await consumer.close()
    }

    /// A new topic, a producer, and a consumer subscribed to the topic that stops fetching after
    /// `idle` and checks for new messages only once a minute: only a wake restarts it in a test.
    func wokenOnly(_ name: String, partitions: Int32, idle: Duration) async throws -> (String, KafkaProducer, KafkaConsumer) {
        let topic = TestBroker.uniqueName(name)
        try await TestBroker.createTopics([topic], partitions: partitions)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try TestBroker.clientConfiguration("dormancy-producer")), logger: TestLogger.quiet)
        var configuration = KafkaConsumerConfiguration(client: try TestBroker.clientConfiguration("dormancy"), groupID: TestBroker.uniqueName(name + "-group"))
        // As the services' consumers: a resumed fetch has time to answer before fetching stops again.
        configuration.fetchWait = .milliseconds(20)
        configuration.dormancy = FetchDormancySettings(after: idle, checkInterval: .seconds(60))
        let consumer = try KafkaConsumer(configuration: configuration, logger: TestLogger.quiet)
        try consumer.subscribe(to: [topic])
        return (topic, producer, consumer)
    }

    /// A dormant consumer whose owner learnt of new messages (its partitions' latest offsets) and
    /// wakes it fetches at once: its own next check is a minute away, and its poll, which waits
    /// that long, returns when woken.
    @Test func aWokenConsumerFetchesAtOnce() async throws {
        let (topic, producer, consumer) = try await wokenOnly("dormancy-wake", partitions: 2, idle: .seconds(2))
        let taken = Taken()
        let polling = Task { for await batch in consumer.batches { taken.add(batch) } }
        defer { polling.cancel() }
        try await waitUntil("fetching stopped", timeout: .seconds(30)) { consumer.isFetchDormant }
        let before = try await consumer.latestOffsets()
        _ = try await producer.send(messages(topic, 0..<3))
        let after = try await consumer.latestOffsets()
        #expect(Set(after.keys) == Set(consumer.assignment))
        #expect(after.contains { $0.value > (before[$0.key] ?? 0) })
        consumer.wake()
        try await waitUntil("3 messages taken after the wake", timeout: .seconds(10)) { taken.count >= 3 }
        #expect(taken.count == 3)
        await producer.shutdown(flushTimeout: .seconds(1))
        await consumer.close()
    }

    /// A consumer that starts fetching again fetches at once, not when librdkafka's broker thread
    /// next looks at its resumed partitions (up to about a second after a resume, which every hop
    /// of the pipeline paid after each quiet spell). Each of five rounds stops fetching, sends one
    /// message and wakes the consumer. The first wake after the group join still takes 0.83-0.88 s
    /// (measured; librdkafka's own start of the partitions, not explained here), so the rounds
    /// after it count: each takes 1-2 ms with the seek, while without it some take 0.97 s.
    @Test func fetchingRestartsAtOnce() async throws {
        let (topic, producer, consumer) = try await wokenOnly("dormancy-restart", partitions: 3, idle: .seconds(1))
        let arrivals = Mutex<[ContinuousClock.Instant]>([])
        let polling = Task {
            for await batch in consumer.batches where !batch.messages.isEmpty {
                let now = ContinuousClock.now
                arrivals.withLock { $0 += batch.messages.map { _ in now } }
            }
        }
        defer { polling.cancel() }
        var slowestAfterFirst = Duration.zero
        for round in 0..<5 {
            try await waitUntil("fetching stopped (round \(round + 1))", timeout: .seconds(30)) { consumer.isFetchDormant }
            _ = try await producer.send(messages(topic, round..<(round + 1)))
            let woken = ContinuousClock.now
            consumer.wake()
            try await waitUntil("the message of round \(round + 1) taken", timeout: .seconds(10)) { arrivals.withLock { $0.count } > round }
            if round > 0 { slowestAfterFirst = max(slowestAfterFirst, arrivals.withLock { $0[round] } - woken) }
        }
        #expect(slowestAfterFirst < .milliseconds(700), "the slowest wake after the first took \(slowestAfterFirst)")
        #expect(arrivals.withLock { $0.count } == 5)
        await producer.shutdown(flushTimeout: .seconds(1))
        await consumer.close()
    }

    /// A pause purges what a fetch answered and the application has not polled yet. Those
    /// messages are fetched again and taken once the consumer notices them, from a partition
    /// messages were taken from before and from one nothing was taken from since its assignment.
    /// The test polls as ``KafkaConsumer/poll()`` does, to stop fetching exactly while such
    /// messages wait.
    @Test func whatAPausePurgesIsFetchedAgainAndTaken() async throws {
        let topic = TestBroker.uniqueName("dormancy-purge")
        try await TestBroker.createTopics([topic], partitions: 2)
        let (partition0, partition1) = (KafkaTopicPartition(topic: topic, partition: 0), KafkaTopicPartition(topic: topic, partition: 1))
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try TestBroker.clientConfiguration("dormancy-producer")), logger: TestLogger.quiet)
        func send(_ partition: KafkaTopicPartition, _ range: Range<Int>) async throws {
            _ = try await producer.send(range.map { KafkaProducerMessage(topic: topic, partition: partition.partition, key: "key-\($0)", value: Array("\($0)".utf8)) })
        }
        try await send(partition0, 0..<3)
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(client: try TestBroker.clientConfiguration("dormancy"), groupID: TestBroker.uniqueName("dormancy-purge-group")),
            logger: TestLogger.quiet)
        // A resumed fetch can take over half a second to answer here: with a shorter idle time
        // the consumer could stop again before it delivers, and keep doing so under load.
        let idleTime: Duration = .seconds(2)
        let dormancy = FetchDormancy(settings: FetchDormancySettings(after: idleTime, checkInterval: .milliseconds(20)), logger: TestLogger.quiet)
        dormancy.assigned([partition0, partition1])
        let taken = Taken()
        func poll() {
            let result = consumer.client.pollBatch(maxMessages: 100, timeout: .milliseconds(20))
            taken.add(KafkaConsumerBatch(messages: result.messages, reachedEnd: result.reachedEnd, endOffsets: result.endOffsets))
            dormancy.afterPoll(delivered: result.deliveredPositions, client: consumer.client)
        }
        try consumer.subscribe(to: [topic])
        try await waitUntil("3 messages taken and fetching stopped", interval: .milliseconds(1)) { poll(); return taken.count == 3 && dormancy.isDormant }
        try await send(partition0, 3..<4)
        try await waitUntil("a message taken after a check", interval: .milliseconds(1)) { poll(); return taken.count == 4 && !dormancy.isDormant }

        // Fetched, not polled: then the consumer stops fetching, as after an empty poll.
        try await send(partition0, 4..<9)
        try await send(partition1, 9..<14)
        let idleSince = ContinuousClock.now
        try await waitUntil("10 messages fetched") {
            consumer.client.lastFetchedHighWatermark(partition0) == 9 && consumer.client.lastFetchedHighWatermark(partition1) == 5
        }
        try await Task.sleep(until: idleSince + idleTime)
        dormancy.afterPoll(delivered: [:], client: consumer.client)
        #expect(dormancy.isDormant)

        try await waitUntil("every message taken", timeout: .seconds(10), interval: .milliseconds(1)) { poll(); return taken.count >= 14 }
        #expect(taken.count == 14)
        #expect(taken.inOrderWithoutRepeats)
        await producer.shutdown(flushTimeout: .seconds(1))
        await consumer.close()
    }

    /// A member that joins while the first one is dormant takes part of the partitions; the first
    /// restarts fetching for what it keeps, and between them they take every message once.
    @Test func aRebalanceWhileDormantRestartsFetching() async throws {
        let topic = TestBroker.uniqueName("dormancy-rebalance")
        try await TestBroker.createTopics([topic], partitions: 4)
        let group = TestBroker.uniqueName("dormancy-rebalance-group")
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try TestBroker.clientConfiguration("dormancy-producer")), logger: TestLogger.quiet)
        let first = try consumer(group: group)
        try first.subscribe(to: [topic])
        let taken = Taken()
        let pollingFirst = Task { for await batch in first.batches { taken.add(batch) } }
        defer { pollingFirst.cancel() }
        try await waitUntil("the first member holds every partition") { first.assignment.count == 4 }
        try await waitUntil("the first member stopped fetching", timeout: .seconds(15)) { first.isFetchDormant }

        let second = try consumer(group: group)
        try second.subscribe(to: [topic])
        let pollingSecond = Task { for await batch in second.batches { taken.add(batch) } }
        defer { pollingSecond.cancel() }
        try await waitUntil("the partitions shared", timeout: .seconds(60)) { first.assignment.count == 2 && second.assignment.count == 2 }
        _ = try await producer.send(messages(topic, 0..<40))
        try await waitUntil("40 messages taken by the two members", timeout: .seconds(15)) { taken.count >= 40 }
        #expect(taken.count == 40)
        #expect(taken.inOrderWithoutRepeats)
        await producer.shutdown(flushTimeout: .seconds(1))
        await second.close()
        await first.close()
    }
}
