// The group's committed offsets end where the engine applied, whatever commit lands last.

import Foundation
import Kafka
import RegistrySchema
import ServiceRuntime
import Testing
import TestSupport

/// Records every message in `seen`.
private struct RecordingProcessor: BatchProcessor {
    func apply(_ messages: [KafkaConsumerMessage], in transaction: inout BatchTransaction) throws {
        for message in messages {
            try transaction.db.execute(
                sql: "INSERT INTO seen (id, offset) VALUES (?, ?)", arguments: [String(decoding: message.value ?? [], as: UTF8.self), message.offset])
        }
    }
}

@Suite(.timeLimit(.minutes(3))) struct EngineCommitTests {
    /// A commit of an older offset that reaches the broker after the engine's last one (librdkafka
    /// retrying an asynchronous commit after an outage) would leave the partition looking behind
    /// for good: the engine reads the group's offsets back and commits its own again.
    @Test func anOlderCommitLandingLastIsPutRightByTheEngine() async throws {
        let (topics, input, producer) = try await EngineHarness.input("late-commit")
        _ = try await producer.send((0..<10).map { KafkaProducerMessage(topic: input, key: "k", value: Array("m\($0)".utf8)) })

        let engine = try EngineHarness(name: "late-commit", processor: RecordingProcessor(), input: input, topics: topics)
        let admin = try KafkaAdmin(configuration: try TestBroker.clientConfiguration("late-commit-admin"), logger: TestBroker.logger)
        let partition = KafkaTopicPartition(topic: input, partition: 0)
        func committed() async throws -> Int64? { try await admin.committedOffsets(group: engine.groupID, partitions: [partition])[partition] }
        try await waitUntil("the engine applied and committed all 10", timeout: .seconds(60)) {
            let seen = try await engine.seenCount()
            let offset = try await committed()
            return seen == 10 && offset == 10
        }

        // The late commit: an older offset committed through the engine's own consumer. Twice:
        // the second time after the engine had confirmed its own offset once more.
        for round in 1...2 {
            try await engine.engine.commitAndWait([partition: 4])
            #expect(try await committed() == 4)
            try await waitUntil("the engine committed its applied offset again (round \(round))", timeout: .seconds(30)) { try await committed() == 10 }
        }
        let applied = try await engine.stop()
        #expect(applied.count == 10, "nothing was applied twice")
        print("late commit: the group's offset was set back to 4 behind the engine's back, twice, and was 10 again within 30 s each time")
    }
}
