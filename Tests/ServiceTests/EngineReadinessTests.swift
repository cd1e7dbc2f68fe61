// An engine that started behind becomes ready under steady traffic, without a fetch that comes
// back empty.

import Foundation
import Kafka
import RegistrySchema
import ServiceRuntime
import Testing
import TestSupport

/// Records every message in `seen`, taking 20 ms per message: a store slower than the producer.
private struct SlowProcessor: BatchProcessor {
    func apply(_ messages: [KafkaConsumerMessage], in transaction: inout BatchTransaction) throws {
        Thread.sleep(forTimeInterval: 0.02 * Double(messages.count))
        for message in messages {
            try transaction.db.execute(
                sql: "INSERT INTO seen (id, offset) VALUES (?, ?)", arguments: ["\(message.offset)", message.offset])
        }
    }
}

@Suite(.timeLimit(.minutes(3))) struct EngineReadinessTests {
    /// A restarted instance under load: 6 MB waiting (more than librdkafka fetches ahead, 4 MB),
    /// and more arriving faster than it applies, so its fetches never reach the partition's end.
    /// Ready means it applied what was there when it started reading (the end its first fetch
    /// reported), not that a fetch found nothing more: that never happens here.
    @Test func anEngineThatStartedBehindIsReadyOnceItPassedTheEndItStartedAtThoughTrafficGoesOn() async throws {
        let (topics, input, producer) = try await EngineHarness.input("ready-under-load")
        func message(_ number: Int) -> KafkaProducerMessage {
            KafkaProducerMessage(topic: input, key: "k", value: Array("m\(number) ".utf8) + [UInt8](repeating: 0x2E, count: 10_000))
        }
        _ = try await producer.send((0..<600).map(message))

        // About 100 messages (1 MB) a second from here on; the processor applies 50.
        let traffic = Task {
            var sent = 600
            while !Task.isCancelled {
                _ = try? await producer.send((sent..<sent + 10).map(message))
                sent += 10
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        defer { traffic.cancel() }

        let engine = try EngineHarness(name: "ready-under-load", processor: SlowProcessor(), input: input, topics: topics)
        let admin = try KafkaAdmin(configuration: try TestBroker.clientConfiguration("ready-under-load-admin"), logger: TestBroker.logger)
        let partition = KafkaTopicPartition(topic: input, partition: 0)
        try await waitUntil("the engine is ready while the traffic goes on", timeout: .seconds(90), interval: .milliseconds(100)) {
            engine.engine.isReady
        }
        let applied = try await engine.seenCount()
        let end = try await admin.watermarks(of: partition, timeout: .seconds(10)).high
        #expect(applied >= 600, "ready only after applying what was there at the start (applied \(applied))")
        #expect(end > Int64(applied), "the partition's end had moved on: the engine never found nothing more to read")
        traffic.cancel()
        _ = try await engine.stop()
        print("ready under load: ready after applying \(applied) messages, while the partition already held \(end)")
    }
}
