// Intake's batch logic: catalog updates and submissions, in arrival order.

import Foundation
import Kafka
import Metrics
import RegistrySchema
import ServiceRuntime

/// Applies a batch from `address.catalog.v1` or `registration.submitted.v1` in the engine's
/// transaction (intake runs one engine per topic; see ``RegistrationIntakeService``).
///
/// With several instances (``PartitionOwnership`` of the submitted topic), a submission is decided
/// by the owner of its person's partition: one that arrived in another partition (keyed by
/// something else than the IIN, or by another partitioner) is sent on to that partition. A
/// decision goes to the same partition of the accepted or rejected topic as its submission came
/// from, which keeps the changelog of each partition's state in that partition.
struct IntakeProcessor: BatchProcessor {
    let catalogTopic: String
    let submittedTopic: String
    let decisionTopics: Set<String>
    let desk: SubmissionDesk
    let ownership: PartitionOwnership?
    let keeper = CatalogKeeper()
    // Counted when the batch is applied; a batch retried after a failure counts again.
    let accepted = Counter(label: "intake_accepted_total")
    let rejected = Counter(label: "intake_rejected_total")
    let duplicates = Counter(label: "intake_duplicate_submissions_total")
    let misrouted = Counter(label: "intake_misrouted_submissions_total")

    init(topics: TopicNames, desk: SubmissionDesk, ownership: PartitionOwnership? = nil) {
        catalogTopic = topics.name(for: .addressCatalog)
        submittedTopic = topics.name(for: .registrationSubmitted)
        decisionTopics = [topics.name(for: .registrationAccepted), topics.name(for: .registrationRejected)]
        self.desk = desk
        self.ownership = ownership
    }

    func apply(_ messages: [KafkaConsumerMessage], in transaction: inout BatchTransaction) throws {
        let store = IntakeStore(transaction.db)
        for message in messages {
            let outcome: MessageOutcome
            if message.topic == catalogTopic {
                let problem = try keeper.apply(message, to: store.catalog)
                outcome = MessageOutcome(kind: problem == nil ? .catalogUpdated : .unreadable, deadLetter: problem)
            } else {
                let submitter = message.headers.string(for: SubmissionDesk.submitterHeader)
                let arrivedIn = message.topicPartition.partition
                let count = ownership?.partitionCount
                outcome = try desk.handle(
                    message.structuredValue, arrival: Self.arrival(of: message), submitter: submitter,
                    misplaced: { iin in
                        count.map { KafkaKeyPartitioner.partition(of: iin.rawValue.utf8, partitions: $0) }.flatMap { $0 == arrivedIn ? nil : $0 }
                    }, store: store, headerTrace: message.headerTrace)
            }
            if case .misrouted(let home) = outcome.kind {
                // The message as it came (either content mode), sent on to the person's partition.
                let forward = KafkaProducerMessage(topic: submittedTopic, partition: home, key: message.key, value: message.value, headers: message.headers)
                try transaction.emit(forward, causedBy: message)
                misrouted.increment()
                continue
            }
            for var event in outcome.emitted {
                if ownership != nil, decisionTopics.contains(event.topic) { event.partition = message.topicPartition.partition }
                try transaction.emit(event, causedBy: message)
            }
            if let reason = outcome.deadLetter { transaction.deadLetter(message, reason: reason) }
            switch outcome.kind {
            case .accepted: accepted.increment()
            case .rejected: rejected.increment()
            case .duplicate: duplicates.increment()
            case .catalogUpdated, .unreadable, .misrouted: break
            }
        }
    }

    /// When the message reached the broker (now, if it carries no timestamp).
    static func arrival(of message: KafkaConsumerMessage) -> Date {
        message.timestampMilliseconds.map { Date(timeIntervalSince1970: Double($0) / 1000) } ?? Date()
    }
}
