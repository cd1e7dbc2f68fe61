// deadletter.v1 messages for input that cannot be processed (docs/architecture.md §4.8).

import Kafka
import RegistrySchema

/// Builds `kz.registry.deadletter.v1` CloudEvents for poison messages.
public enum DeadLetters {
    /// A function building the dead letter of a message for `service`, keyed by the original
    /// key, with the service's CloudEvent `source`.
    ///
    /// The event id is derived from the message's position, and its `time` is the message's own
    /// (when it was written; this clock's only for a message without a timestamp), so a dead
    /// letter re-sent after a crash, or made again (intake's next owner decides a partition again
    /// from the group's offset; a replay), is the same event. When it was dead-lettered is its
    /// Kafka message's timestamp. A message in binary content mode is
    /// kept as the structured event it stands for (its value alone would lose the attributes),
    /// and the message's trace headers are carried on.
    public static func message(service: String, source: String, topics: TopicNames) -> @Sendable (KafkaConsumerMessage, DeadLetterReason) -> KafkaProducerMessage {
        let topic = topics.name(for: .deadLetter)
        return { message, reason in
            let data = DeadLetter(
                service: service, topic: message.topic, partition: Int(message.partition), offset: message.offset,
                keyBytes: message.key, valueBytes: message.structuredValue, error: reason.description)
            let event = CloudEvent(
                id: "deadletter/\(service)/\(message.topic)/\(message.partition)/\(message.offset)",
                source: source, time: message.timestampMilliseconds.map(Timestamp.init(milliseconds:)) ?? Timestamp(.now), data: data,
                trace: EventTracing.valid(message.headerTrace))
            // The dead letter's own types hold only strings and integers: encoding cannot fail.
            return try! KafkaProducerMessage.event(event, topic: topic, key: message.key)
        }
    }
}

/// Why a message goes to `deadletter.v1`, as the dead letter's `error` says it: a reason code
/// first (one of `registration.rejected`'s, or `PROCESSING_FAILED`), then what was wrong.
public struct DeadLetterReason: Sendable, Equatable, CustomStringConvertible {
    /// The dead letter's `error`.
    public let description: String

    private init(_ code: String, _ detail: String) {
        description = "\(code) \(detail)"
    }

    /// A message that does not decode as what the topic carries, with the decoder's code
    /// (`MALFORMED`, `UNSUPPORTED_TYPE`, `INVALID_IIN`) and error.
    public static func undecodable(_ error: EnvelopeError) -> Self {
        Self(error.rejectionCode.rawValue, "\(error)")
    }

    /// A message that is not what the topic carries, for a reason of the caller's.
    public static func malformed(_ detail: String) -> Self {
        Self(RejectionCode.malformed.rawValue, detail)
    }

    /// A tombstone (a message without a value) where `expected` was expected.
    public static func tombstone(expected: String) -> Self {
        malformed("no value (a tombstone where \(expected) was expected)")
    }

    /// A registry event of a type that does not belong on `topic`.
    public static func misplaced(_ type: EventType, on topic: String) -> Self {
        Self(RejectionCode.unsupportedType.rawValue, "\(type.rawValue) does not belong on \(topic)")
    }

    /// A message the processor failed on `attempts` times.
    public static func processingFailed(attempts: Int, error: any Error) -> Self {
        Self("PROCESSING_FAILED", "after \(attempts) attempts: \(error)")
    }
}
