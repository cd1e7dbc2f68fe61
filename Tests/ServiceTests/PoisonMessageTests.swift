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
        try await FaultRow.measure("poison messages through the engine", injected: "4 undecodable messages between 2 valid ones") { row in
            try await run(row)
        }
    }

    /// Intake's next owner decides a partition again from the group's offset, and a replay reads
    /// it again: a dead letter made again must be the same event as the first (same id, same
    /// bytes), so nothing in it may come from the moment it was made.
    @Test func aDeadLetterMadeAgainIsTheSameEvent() async throws {
        let make = DeadLetters.message(service: "registration-intake", source: "/registry/intake", topics: TopicNames())
        let poison = KafkaConsumerMessage(
            topicPartition: KafkaTopicPartition(topic: "registration.submitted.v1", partition: 3), offset: 41, key: Array("k".utf8),
            value: Array("{not json".utf8), headers: [], timestampMilliseconds: 1_796_000_000_123)
        let first = make(poison, .malformed("not JSON"))
        try await Task.sleep(for: .milliseconds(5))  // the clock moves between the two
        let again = make(poison, .malformed("not JSON"))
        #expect(first.value == again.value, "the same dead letter twice differs")
        let event = try RegistryEventDecoder().decode(DeadLetter.self, from: try #require(first.value))
        #expect(event.id == "deadletter/registration-intake/registration.submitted.v1/3/41")
        #expect(event.time == Timestamp(milliseconds: 1_796_000_000_123), "its time is the poison message's")
    }

    func run(_ row: FaultRow) async throws -> String {
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
        row.check(applied.map(\.offset) == [0, 5], "applied offsets \(applied.map(\.offset)), not 0 and 5")
        row.check(applied.last?.id == "after-the-poison", "the submission after the poison was not applied")

        let decoder = RegistryEventDecoder()
        var letteredOffsets: [Int64] = []
        for (index, (letter, expected)) in zip(letters, poison).enumerated() {
            let event = try decoder.decode(DeadLetter.self, from: letter.value ?? [])
            letteredOffsets.append(event.data.offset)
            row.check(letter.headers.contains { $0.key == "content-type" && $0.stringValue == "application/cloudevents+json" }, "\(expected.name): no content-type header")
            row.check(letter.key == Array("860101300126".utf8), "\(expected.name): the dead letter lost the original key")
            row.check(event.data.service == "poison" && event.data.topic == input, "\(expected.name): service \(event.data.service), topic \(event.data.topic)")
            row.check(event.data.offset == Int64(index + 1), "\(expected.name): offset \(event.data.offset), not \(index + 1)")
            row.check(event.data.value == Data(expected.value.prefix(DeadLetter.valueLimit)).base64EncodedString(), "\(expected.name): not its bytes")
            row.check(event.data.error.contains(expected.reason), "\(expected.name): \(event.data.error)")
            print("poison: \(expected.name) (\(expected.value.count) bytes) → deadletter.v1: \(event.data.error.prefix(120))")
        }
        // Against the inputs: both valid messages applied, each poison message dead-lettered.
        let all = try await EventTally.read([deadLetterTopic])
        row.messages = "\(values.count) messages, \(all.messages) dead letters"
        row.lost = (2 - Set(applied.map(\.offset)).count) + Set(1...Int64(poison.count)).subtracting(letteredOffsets).count
        row.duplicated(all.repeats + applied.count - Set(applied.map(\.offset)).count, "repeats (dead letters by id, applied by offset)")
        return "each dead-lettered with its bytes and reason; the partition moved on"
    }
}
