// Poison input through the real engine, broker and store: every undecodable message becomes a
// deadletter.v1 event carrying its bytes and the reason, and the partition keeps moving.

import Foundation
import GRDB
import Kafka
import RegistrySchema
import ServiceRuntime
import Testing
import TestSupport

/// Remembers the id of every submission it decodes; everything else is dead-lettered by
/// ``BatchTransaction/decode(_:with:)``.
private struct SubmissionRecorder: BatchProcessor {
    let decoder = RegistryEventDecoder()

    func apply(_ messages: [KafkaConsumerMessage], in transaction: inout BatchTransaction) throws {
        for message in messages {
            guard case .registrationSubmitted(let event)? = transaction.decode(message, with: decoder) else { continue }
            try transaction.db.execute(sql: "INSERT INTO seen (id, offset) VALUES (?, ?)", arguments: [event.id, message.offset])
        }
    }
}

@Suite(.timeLimit(.minutes(3))) struct PoisonMessageTests {
    static let validSubmission = try! Data(contentsOf: URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("RegistrySchemaTests/Vectors/valid/registration.submitted.design-4.3.json"))

    @Test func poisonIsDeadLetteredWithItsBytesAndThePartitionMovesOn() async throws {
        let topics = TopicNames(prefix: TestBroker.uniqueName("poison") + ".")
        let input = topics.name(for: .registrationSubmitted)
        let deadLetterTopic = topics.name(for: .deadLetter)
        try await TestBroker.createTopics([input, deadLetterTopic], partitions: 1)

        var junk = [UInt8](repeating: 0, count: 1 << 20)
        var generator = SystemRandomNumberGenerator()
        for index in junk.indices { junk[index] = UInt8.random(in: 0...255, using: &generator) }
        var wrongTypes = try JSONSerialization.jsonObject(with: Self.validSubmission) as! [String: Any]
        wrongTypes["id"] = "wrong-types"
        var data = wrongTypes["data"] as! [String: Any]
        data["kind"] = 5
        wrongTypes["data"] = data
        let valid = [UInt8](Self.validSubmission)
        var second = try JSONSerialization.jsonObject(with: Self.validSubmission) as! [String: Any]
        second["id"] = "after-the-poison"
        let poison: [(name: String, value: [UInt8], reason: String)] = [
            ("invalid JSON", Array(#"{"specversion": "1.0", "id": "#.utf8), "MALFORMED"),
            ("invalid UTF-8", [0x7B, 0x22, 0xC3, 0x28, 0xFF, 0xFE, 0x22, 0x7D], "MALFORMED"),
            ("1 MiB of junk", junk, "MALFORMED"),
            ("wrong types", [UInt8](try JSONSerialization.data(withJSONObject: wrongTypes)), "data.kind"),
        ]
        var values = [valid]
        values += poison.map(\.value)
        values.append([UInt8](try JSONSerialization.data(withJSONObject: second)))

        var producerConfiguration = KafkaProducerConfiguration(client: try TestBroker.clientConfiguration("poison-producer"))
        producerConfiguration.client.extraProperties["message.max.bytes"] = "\(2 << 20)"
        let producer = try KafkaProducer(configuration: producerConfiguration, logger: TestBroker.logger)
        _ = try await producer.send(values.map { KafkaProducerMessage(topic: input, key: "860101300126", value: $0) })

        // The engine under test, with its own store, producer and relay, as a service runs it.
        let engine = try EngineHarness(name: "poison", processor: SubmissionRecorder(), input: input, topics: topics)
        try await waitUntil("both valid submissions are applied", timeout: .seconds(60)) { try await engine.seenCount() == 2 }
        let letters = try await TestBroker.consume([deadLetterTopic], count: poison.count)
        let applied = try await engine.stop()

        // The submission after the poison was applied: the partition did not stop.
        #expect(applied.map(\.offset) == [0, 5])
        #expect(applied.last?.id == "after-the-poison")

        #expect(letters.count == poison.count)
        let decoder = RegistryEventDecoder()
        for (index, (letter, expected)) in zip(letters, poison).enumerated() {
            let event = try decoder.decode(DeadLetter.self, from: letter.value ?? [])
            #expect(letter.headers.contains { $0.key == "content-type" && $0.stringValue == "application/cloudevents+json" })
            #expect(letter.key == Array("860101300126".utf8), "dead letters keep the original key")
            #expect(event.data.service == "poison")
            #expect(event.data.topic == input)
            #expect(event.data.offset == Int64(index + 1))
            #expect(event.data.value == Data(expected.value.prefix(DeadLetter.valueLimit)).base64EncodedString(), "\(expected.name): the bytes")
            #expect(event.data.error.contains(expected.reason), "\(expected.name): \(event.data.error)")
            print("poison: \(expected.name) (\(expected.value.count) bytes) → deadletter.v1: \(event.data.error.prefix(120))")
        }
    }
}
