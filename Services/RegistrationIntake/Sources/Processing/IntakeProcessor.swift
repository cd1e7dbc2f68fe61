// Intake's batch logic: catalog updates and submissions, in arrival order.

import Foundation
import Kafka
import Metrics
import RegistrySchema
import ServiceRuntime

/// Applies a batch from `address.catalog.v1` or `registration.submitted.v1` in the engine's
/// transaction (intake runs one engine per topic; see ``RegistrationIntakeService``).
struct IntakeProcessor: BatchProcessor {
    let catalogTopic: String
    let desk: SubmissionDesk
    let keeper = CatalogKeeper()
    // Counted when the batch is applied; a batch retried after a failure counts again.
    let accepted = Counter(label: "intake_accepted_total")
    let rejected = Counter(label: "intake_rejected_total")
    let duplicates = Counter(label: "intake_duplicate_submissions_total")

    init(topics: TopicNames, desk: SubmissionDesk) {
        catalogTopic = topics.name(for: .addressCatalog)
        self.desk = desk
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
                outcome = try desk.handle(
                    message.structuredValue, arrival: Self.arrival(of: message), submitter: submitter, store: store, headerTrace: message.headerTrace)
            }
            for event in outcome.emitted { try transaction.emit(event) }
            if let reason = outcome.deadLetter { transaction.deadLetter(message, reason: reason) }
            switch outcome.kind {
            case .accepted: accepted.increment()
            case .rejected: rejected.increment()
            case .duplicate: duplicates.increment()
            case .catalogUpdated, .unreadable: break
            }
        }
    }

    /// When the message reached the broker (now, if it carries no timestamp).
    static func arrival(of message: KafkaConsumerMessage) -> Date {
        message.timestampMilliseconds.map { Date(timeIntervalSince1970: Double($0) / 1000) } ?? Date()
    }
}
