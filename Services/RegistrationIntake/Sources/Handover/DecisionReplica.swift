// Applies the decisions other instances published: the accepted and rejected topics are the
// changelog of intake's state.

import Kafka
import Logging
import Metrics
import RegistrySchema
import ServiceRuntime

/// Applies `registration.accepted.v1` and `registration.rejected.v1` to the store as another
/// instance decided them: the person's state (sequence, registrations), the accepted event, and
/// the submission's decision (a submission received here over HTTP is pending until then). Every
/// instance keeps this replica of the partitions it does not own, so it can answer any
/// submission's status, and take a partition over after reading only the end of its changelog.
/// Applying is idempotent: a decision already known (this instance's own, read back after a
/// rebalance) changes nothing.
struct DecisionReplica: BatchProcessor {
    let acceptedTopic: String
    let logger: Logger
    let decoder = RegistryEventDecoder()
    let applied = Counter(label: "intake_replicated_decisions_total")

    init(topics: TopicNames, logger: Logger) {
        acceptedTopic = topics.name(for: .registrationAccepted)
        self.logger = logger
    }

    func apply(_ messages: [KafkaConsumerMessage], in transaction: inout BatchTransaction) throws {
        let store = IntakeStore(transaction.db)
        var count = 0
        for message in messages {
            guard let value = message.value else { continue }
            if message.topic == acceptedTopic {
                guard let event = try? decoder.decode(RegistrationAccepted.self, from: value) else { continue }
                let data = event.data
                let iin = data.person.iin
                let person = try store.person(iin)
                if data.sequence > person.sequence {
                    if data.sequence > person.sequence + 1 {
                        logger.error("a decision of another instance skips a sequence", metadata: [
                            "iin": "\(iin.masked)", "known": "\(person.sequence)", "received": "\(data.sequence)",
                        ])
                    }
                    try store.savePerson(iin, person.applying(data))
                }
                try store.recordAcceptedIfAbsent(iin, sequence: data.sequence, event: value)
                _ = try store.recordDecision(data.submission, SubmissionStatus(status: .accepted, sequence: data.sequence), iin: iin.rawValue)
            } else {
                guard let event = try? decoder.decode(RegistrationRejected.self, from: value) else { continue }
                _ = try store.recordDecision(event.data.submission, SubmissionStatus(status: .rejected, reasons: event.data.reasons), iin: event.data.iin)
            }
            count += 1
        }
        applied.increment(by: count)
    }
}
