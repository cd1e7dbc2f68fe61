// An exception in a service's own code: retried, isolated, dead-lettered alone; nothing lost.

import Foundation
import Kafka
import RegistrySchema
import ServiceRuntime
import Testing
import TestSupport

/// Records every message, except that it throws on the value `boom` (a bug, not bad input).
private struct BrittleProcessor: BatchProcessor {
    struct Refused: Error, CustomStringConvertible {
        var description: String { "the processor cannot handle this message" }
    }

    func apply(_ messages: [KafkaConsumerMessage], in transaction: inout BatchTransaction) throws {
        for message in messages {
            let value = String(decoding: message.value ?? [], as: UTF8.self)
            if value == "boom" { throw Refused() }
            try transaction.db.execute(sql: "INSERT INTO seen (id, offset) VALUES (?, ?)", arguments: [value, message.offset])
        }
    }
}

@Suite(.timeLimit(.minutes(3))) struct FailingProcessorTests {
    @Test func aMessageThatMakesTheServiceThrowIsDeadLetteredAloneAndTheRestIsApplied() async throws {
        let topics = TopicNames(prefix: TestBroker.uniqueName("brittle") + ".")
        let input = topics.name(for: .registrationSubmitted)
        try await TestBroker.createTopics([input, topics.name(for: .deadLetter)], partitions: 1)
        let values = ["one", "two", "boom", "four", "five"]
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try TestBroker.clientConfiguration()), logger: TestBroker.logger)
        _ = try await producer.send(values.map { KafkaProducerMessage(topic: input, key: "k", value: Array($0.utf8)) })

        let engine = try EngineHarness(
            name: "brittle", processor: BrittleProcessor(), input: input, topics: topics, retryDelays: [.milliseconds(20), .milliseconds(50)])
        try await waitUntil("the four good messages are applied", timeout: .seconds(60)) { try await engine.seenCount() == 4 }
        let letters = try await TestBroker.consume([topics.name(for: .deadLetter)], count: 1)
        let applied = try await engine.stop()

        #expect(applied.map(\.id) == ["one", "two", "four", "five"], "the batch around the failing message is not lost")
        #expect(applied.map(\.offset) == [0, 1, 3, 4])
        let letter = try RegistryEventDecoder().decode(DeadLetter.self, from: try #require(letters.first?.value))
        #expect(letter.data.offset == 2)
        #expect(letter.data.value == Data("boom".utf8).base64EncodedString())
        #expect(letter.data.error == "PROCESSING_FAILED after 3 attempts: the processor cannot handle this message")
        print("failing processor: 4 of 5 applied, offset 2 dead-lettered alone: \(letter.data.error)")
    }
}
