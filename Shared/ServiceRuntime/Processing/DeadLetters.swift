// deadletter.v1 messages for input that cannot be processed (DESIGN §4.8).

import Foundation
import Kafka
import RegistrySchema

/// Builds `kz.registry.deadletter.v1` CloudEvents for poison messages.
public enum DeadLetters {
    /// The most value bytes copied into a dead letter (DESIGN §4.8: first 64 KiB).
    public static let valueLimit = 64 * 1024

    /// A function building the dead letter of a message for `service`, keyed by the original key.
    ///
    /// The event id is derived from the message's position, so a dead letter re-sent after a
    /// crash is the same event.
    public static func message(service: String, topics: TopicNames) -> @Sendable (KafkaConsumerMessage, String) -> KafkaProducerMessage {
        { message, reason in
            let data = DeadLetterData(
                service: service, topic: message.topic, partition: Int(message.partition), offset: message.offset,
                key: message.key.map { Data($0).base64EncodedString() },
                value: message.value.map { Data($0.prefix(valueLimit)).base64EncodedString() },
                error: reason)
            let event = DeadLetterEvent(
                id: "deadletter/\(service)/\(message.topic)/\(message.partition)/\(message.offset)",
                source: "/registry/\(service)", time: Self.timestamp(Date()), data: data)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let value = (try? encoder.encode(event)).map { [UInt8]($0) } ?? []
            return KafkaProducerMessage(
                topic: topics.name(for: .deadLetter), key: message.key, value: value,
                headers: [KafkaHeader(key: "content-type", string: "application/cloudevents+json")])
        }
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon).timeZone(separator: .omitted))
    }
}

// The envelope and data of DESIGN §4.8, until the schema module's typed CloudEvent serves here.
private struct DeadLetterEvent: Encodable {
    let specversion = "1.0"
    let id: String
    let source: String
    let type = "kz.registry.deadletter.v1"
    let time: String
    let datacontenttype = "application/json"
    let data: DeadLetterData
}

private struct DeadLetterData: Encodable {
    let service: String
    let topic: String
    let partition: Int
    let offset: Int64
    let key: String?
    let value: String?
    let error: String
}
