// Integration tests: owner-supplied offsets, rebalances, offsets beyond the end.

import Foundation
import Kafka
import Synchronization
import Testing
import TestSupport

/// An in-memory stand-in for a service's offset table: next offset per partition.
final class OffsetStore: Sendable {
    private let offsets = Mutex<[KafkaTopicPartition: Int64]>([:])
    func read(_ partitions: [KafkaTopicPartition]) -> [KafkaTopicPartition: KafkaStartOffset] {
        offsets.withLock { stored in
            Dictionary(uniqueKeysWithValues: partitions.map { ($0, stored[$0].map(KafkaStartOffset.offset) ?? .beginning) })
        }
    }
    func store(_ messages: [KafkaConsumerMessage]) {
        offsets.withLock { stored in
            for message in messages { stored[message.topicPartition] = message.offset + 1 }
        }
    }
}

/// Records which (partition, offset) pairs were processed, and by whom.
final class ProcessedLog: Sendable {
    private let seen = Mutex<[String: Int]>([:])
    func record(_ messages: [KafkaConsumerMessage]) {
        seen.withLock { seen in
            for message in messages { seen["\(message.topicPartition)@\(message.offset)", default: 0] += 1 }
        }
    }
    var distinct: Int { seen.withLock { $0.count } }
    var duplicates: Int { seen.withLock { $0.values.filter { $0 > 1 }.count } }
}

/// What a rebalance test sees happen: whether the first consumer's partitions were revoked, what
/// it had left then, and where the second consumer started.
final class RebalanceWatch: Sendable {
    let rebalanced = Mutex(false)
    let backlogAtRevocation = Mutex<Int64?>(nil)
    let firstHalfEnds = Mutex<[KafkaTopicPartition: Int64]>([:])
    let secondStarts = Mutex<[KafkaTopicPartition: Int64]>([:])
}

@Suite(.timeLimit(.minutes(5))) struct KafkaRebalanceTests {
    func consumer(group: String, hooks: KafkaRebalanceHooks, maxBatchSize: Int = 200) throws -> KafkaConsumer {
        var configuration = KafkaConsumerConfiguration(client: try TestBroker.clientConfiguration("test-rebalance"), groupID: group)
        configuration.maxBatchSize = maxBatchSize
        return try KafkaConsumer(configuration: configuration, hooks: hooks, logger: TestLogger.quiet)
    }

    func produce(_ topic: String, count: Int, from start: Int = 0) async throws {
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try TestBroker.clientConfiguration()), logger: TestLogger.quiet)
        _ = try await producer.send((start..<start + count).map { KafkaProducerMessage(topic: topic, key: "k\($0)", value: Array("\($0)".utf8)) })
        await producer.shutdown(flushTimeout: .seconds(10))
    }

    @Test func twoConsumersSplitPartitionsAndNoMessageIsProcessedTwiceOrSkipped() async throws {
        let topic = TestBroker.uniqueName("split")
        try await TestBroker.createTopics([topic], partitions: 6)
        let total = 6_000
        try await produce(topic, count: total / 2)
        let partitions = (0..<6).map { KafkaTopicPartition(topic: topic, partition: Int32($0)) }

        let store = OffsetStore()
        let log = ProcessedLog()
        let group = TestBroker.uniqueName("split-group")
        // The first consumer works slowly (each message costs it 2 ms) until its
        // partitions are taken away, so the second joins while it still has a backlog; what it
        // had left is read from the offset store at that moment.
        let watch = RebalanceWatch()
        let firstHooks = KafkaRebalanceHooks(startOffsets: { store.read($0) }, revoked: { revoked in
            let ends = watch.firstHalfEnds.withLock { $0 }
            let next = store.read(revoked)
            let left = revoked.reduce(Int64(0)) { sum, partition in
                guard case .offset(let offset)? = next[partition] else { return sum + (ends[partition] ?? 0) }
                return sum + max(0, (ends[partition] ?? 0) - offset)
            }
            watch.backlogAtRevocation.withLock { if $0 == nil { $0 = left } }
            watch.rebalanced.withLock { $0 = true }
        })
        // Where the second consumer starts on each partition it is given.
        let secondHooks = KafkaRebalanceHooks(startOffsets: { assigned in
            let starts = store.read(assigned)
            watch.secondStarts.withLock { recorded in
                for (partition, start) in starts {
                    if case .offset(let offset) = start { recorded[partition] = offset } else { recorded[partition] = 0 }
                }
            }
            return starts
        })

        // Each consumer applies a batch (log + offsets, like one transaction) before pulling the next.
        @Sendable func run(_ consumer: KafkaConsumer, slow: Bool) async {
            for await batch in consumer.batches {
                if slow && !watch.rebalanced.withLock({ $0 }) {
                    try? await Task.sleep(for: .milliseconds(2 * batch.messages.count))  // the work it simulates
                }
                log.record(batch.messages)
                store.store(batch.messages)
            }
        }
        let probe = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: try TestBroker.clientConfiguration("test-rebalance"), groupID: TestBroker.uniqueName("probe")), logger: TestLogger.quiet)
        var ends: [KafkaTopicPartition: Int64] = [:]
        for partition in partitions { ends[partition] = try await probe.watermarks(of: partition).high }
        await probe.close()
        watch.firstHalfEnds.withLock { $0 = ends }

        let first = try self.consumer(group: group, hooks: firstHooks, maxBatchSize: 50)
        try first.subscribe(to: [topic])
        let firstTask = Task { await run(first, slow: true) }
        try await waitUntil("the first consumer processes messages", timeout: .seconds(60)) { log.distinct > 500 }

        let second = try self.consumer(group: group, hooks: secondHooks)
        try second.subscribe(to: [topic])
        let secondTask = Task { await run(second, slow: false) }
        try await waitUntil("both consumers hold partitions", timeout: .seconds(60)) {
            !first.assignment.isEmpty && !second.assignment.isEmpty
        }
        #expect(first.assignment.isDisjoint(with: second.assignment))
        #expect(first.assignment.union(second.assignment).count == 6)
        // The rebalance happened with work in flight: the first had messages left when its
        // partitions were revoked, and the second took over partitions with messages still to do
        // (begun by the first or not: which ones the first had started depends on its fetches).
        let backlog = watch.backlogAtRevocation.withLock { $0 }
        #expect((backlog ?? 0) > 0, "the first consumer had no backlog when the second joined (\(backlog.map(String.init) ?? "no revocation"))")
        let handedOver = watch.secondStarts.withLock { $0 }.filter { $0.value < (ends[$0.key] ?? 0) }
        #expect(!handedOver.isEmpty, "the second consumer took over no partition with work left: \(watch.secondStarts.withLock { $0 })")

        try await produce(topic, count: total / 2, from: total / 2)
        try await waitUntil("every message is processed", timeout: .seconds(60)) { log.distinct >= total }
        await first.close()
        await second.close()
        _ = await (firstTask.value, secondTask.value)
        #expect(log.distinct == total)
        #expect(log.duplicates == 0)
        print("two consumers processed \(log.distinct) messages across a rebalance with \(backlog ?? 0) messages still to do; the second took over \(handedOver.count) partitions mid-way: \(log.duplicates) duplicates, 0 skipped")
    }

    @Test func assignmentSeeksToTheSuppliedOffsets() async throws {
        let topic = TestBroker.uniqueName("seek")
        try await TestBroker.createTopics([topic], partitions: 1)
        try await produce(topic, count: 10)
        let partition = KafkaTopicPartition(topic: topic, partition: 0)
        let consumer = try consumer(group: TestBroker.uniqueName("seek"), hooks: KafkaRebalanceHooks(startOffsets: { _ in [partition: .offset(7)] }))
        try consumer.subscribe(to: [topic])
        var offsets: [Int64] = []
        for await batch in consumer.batches {
            offsets += batch.messages.map(\.offset)
            if !batch.reachedEnd.isEmpty && !offsets.isEmpty { break }
        }
        await consumer.close()
        #expect(offsets == [7, 8, 9])
    }

    @Test func aStoredOffsetBeyondTheHighWatermarkIsReportedOnAssignment() async throws {
        let topic = TestBroker.uniqueName("lost-log")
        try await TestBroker.createTopics([topic], partitions: 1)
        try await produce(topic, count: 3)
        let partition = KafkaTopicPartition(topic: topic, partition: 0)
        let anomalies = Mutex<[KafkaOffsetBeyondEnd]>([])
        let hooks = KafkaRebalanceHooks(
            startOffsets: { _ in [partition: .offset(1_000)] },  // the store remembers more than the broker holds
            offsetBeyondEnd: { anomaly in
                anomalies.withLock { $0.append(anomaly) }
                return .offset(anomaly.watermarks.high)
            })
        let consumer = try consumer(group: TestBroker.uniqueName("lost-log"), hooks: hooks)
        try consumer.subscribe(to: [topic])
        let events = Task {
            for await event in consumer.events {
                if case .offsetBeyondEnd(let anomaly) = event { return Optional(anomaly) }
            }
            return nil
        }
        let firstBatch = Task { await consumer.poll() }
        let reported = try await withTimeout("the anomaly event", .seconds(60)) { await events.value }
        #expect(reported == KafkaOffsetBeyondEnd(partition: partition, requested: 1_000, watermarks: KafkaWatermarks(low: 0, high: 3)))
        #expect(anomalies.withLock { $0.count } == 1)

        // It resumes at the high watermark: the next message produced is read, nothing older.
        try await produce(topic, count: 1, from: 3)
        var offsets: [Int64] = (await firstBatch.value)?.messages.map(\.offset) ?? []
        while offsets.isEmpty, let batch = await consumer.poll() { offsets += batch.messages.map(\.offset) }
        await consumer.close()
        #expect(offsets == [3])
    }
}
