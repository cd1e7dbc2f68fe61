// The exactly-once crash test: a processor is SIGKILLed at random moments while messages flow.

import Foundation
import GRDB
import Kafka
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(10))) struct CrashTests {
    @Test func countsAreExactAndEveryOutputIsPresentAfterRepeatedKills() async throws {
        let input = TestBroker.uniqueName("crash-in")
        let output = TestBroker.uniqueName("crash-out")
        try await TestBroker.createTopics([input, output], partitions: 6)
        let total = 50_000
        let keys = 500
        let dataDirectory = NSTemporaryDirectory() + "crash-" + UUID().uuidString
        let environment = [
            "DATA_DIR": dataDirectory, "INPUT_TOPIC": input, "OUTPUT_TOPIC": output, "HTTP_PORT": "\(try ChildProcess.freePort())",
            "REGISTRY_JWT_SECRET": TestSecrets.jwt, "REGISTRY_TOPIC_PREFIX": TestBroker.uniqueName("crash") + ".", "LOG_LEVEL": "warning",
        ]

        // Produce in the background, in chunks, while the processor is being killed.
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try TestBroker.clientConfiguration()), logger: TestBroker.logger)
        let producing = Task {
            for chunk in stride(from: 0, to: total, by: 2_500) {
                _ = try await producer.send((chunk..<chunk + 2_500).map { KafkaProducerMessage(topic: input, key: "k\($0 % keys)", value: Array("\($0)".utf8)) })
                try await Task.sleep(for: .milliseconds(150))
            }
        }

        var child = try ChildProcess("CrashTestProcessor", environment: environment)
        var kills = 0
        var generator = SystemRandomNumberGenerator()
        while kills < 6 {
            try await Task.sleep(for: .milliseconds(Int.random(in: 700...2_500, using: &generator)))
            child.signal(SIGKILL)
            _ = await child.waitForExit(timeout: .seconds(10))
            kills += 1
            child = try ChildProcess("CrashTestProcessor", environment: environment)
        }
        try await producing.value

        let database = try DatabaseQueue(path: dataDirectory + "/crash-test.sqlite", configuration: { var c = Configuration(); c.readonly = true; return c }())
        try await waitUntil("the processor has counted every message", timeout: .seconds(180), interval: .milliseconds(500)) {
            let counted = try await database.read { try Int.fetchOne($0, sql: "SELECT COALESCE(SUM(n), 0) FROM counts") ?? 0 }
            return counted >= total
        }
        try await waitUntil("the outbox is drained", timeout: .seconds(60), interval: .milliseconds(200)) {
            try await database.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM outbox") ?? 1 } == 0
        }
        child.signal(SIGTERM)
        #expect(await child.waitForExit(timeout: .seconds(20)) == 0)

        let counts = try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT key, n FROM counts").reduce(into: [String: Int]()) { $0[$1["key"]] = $1["n"] }
        }
        let counted = counts.values.reduce(0, +)
        #expect(counted == total)
        #expect(counts.count == keys)
        #expect(counts.values.allSatisfy { $0 == total / keys })

        // Every expected output is on the topic; repeats carry the same identity (harmless).
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(client: try TestBroker.clientConfiguration(), groupID: TestBroker.uniqueName("crash-check")),
            logger: TestBroker.logger)
        try consumer.subscribe(to: [output])
        let (identities, received) = try await withTimeout("reading the output topic", .seconds(120)) { [consumer] in
            var identities = Set<String>()
            var received = 0
            for await batch in consumer.batches {
                for message in batch.messages {
                    identities.insert(String(decoding: message.value ?? [], as: UTF8.self))
                    received += 1
                }
                if identities.count >= total { break }
            }
            return (identities, received)
        }
        await consumer.close()
        #expect(identities.count == total)
        print("faults | SIGKILL a processing engine | \(kills) kills | \(total) messages | \(total - counted) | \(received - identities.count) re-sends (same id) | exact counts")
        print("crash test: \(kills) SIGKILLs; counted \(counted) of \(total) messages exactly (per key \(total / keys)); output topic holds \(identities.count) distinct events of \(total) expected, \(received - identities.count) harmless re-sends with the same id")
    }
}
