// deadletter.v1 messages for input that cannot be processed (docs/architecture.md §4.8).

import Kafka
import RegistrySchema

/// Builds `kz.registry.deadletter.v1` CloudEvents for poison messages.
public enum DeadLetters {
    /// A function building the dead letter of a message for `service`, keyed by the original
    /// key, with the service's CloudEvent `source`.
    ///
    /// The event id is derived from the message's position, so a dead letter re-sent after a
    /// crash (or produced again on replay) is the same event. A message in binary content mode is
    /// kept as the structured event it stands for (its value alone would lose the attributes),
    /// and the message's trace headers are carried on.
    public static func message(service: String, source: String, topics: TopicNames) -> @Sendable (KafkaConsumerMessage, String) -> KafkaProducerMessage {
        let topic = topics.name(for: .deadLetter)
        return { message, reason in
            let data = DeadLetter(
                service: service, topic: message.topic, partition: Int(message.partition), offset: message.offset,
                keyBytes: message.key, valueBytes: message.structuredValue, error: reason)
            let event = CloudEvent(
                id: "deadletter/\(service)/\(message.topic)/\(message.partition)/\(message.offset)",
                source: source, time: Timestamp(.now), data: data, trace: EventTracing.valid(message.headerTrace))
            // The dead letter's own types hold only strings and integers: encoding cannot fail.
            return try! KafkaProducerMessage.event(event, topic: topic, key: message.key)
        }
    }
}
