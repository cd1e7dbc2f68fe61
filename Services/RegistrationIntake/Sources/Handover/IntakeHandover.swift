// How intake takes a partition of registration.submitted.v1 over from another instance.

import Foundation
import GRDB
import Kafka
import Logging
import Synchronization
import RegistrySchema
import ServiceRuntime

/// Intake's part in moving a partition of `registration.submitted.v1` between instances
/// (docs/architecture.md §6.2; docs/scaling.md).
///
/// - Before deciding anything in a newly assigned partition p (its producer is registered by
///   then, so no earlier owner can publish for p any more), the instance reads the end of p's
///   changelog (`registration.accepted.v1` and `registration.rejected.v1`, partition p) that
///   others published, through its ``DecisionReplica``, up to where p ends now; then it stops
///   replicating p and decides p's submissions from the group's committed offset, where the last
///   owner's published decisions end. A submission decided there before is a duplicate.
/// - Decisions it made but never published (in its outbox when it lost p, or crashed) are taken
///   back: the submission is undecided again and the person's state is rebuilt from their
///   published events. Whoever owns p decides it again.
struct IntakeHandover: PartitionStateKeeper {
    let store: ServiceStore
    let replica: EngineHandle
    let submittedTopic: String
    let changelogTopics: [String]
    let logger: Logger
    let decoder = RegistryEventDecoder()

    init(store: ServiceStore, replica: EngineHandle, topics: TopicNames, logger: Logger) {
        self.store = store
        self.replica = replica
        submittedTopic = topics.name(for: .registrationSubmitted)
        changelogTopics = [topics.name(for: .registrationAccepted), topics.name(for: .registrationRejected)]
        self.logger = logger
    }

    /// The changelog partitions of submitted partitions.
    func changelog(of partitions: Set<KafkaTopicPartition>) -> Set<KafkaTopicPartition> {
        Set(partitions.filter { $0.topic == submittedTopic }.flatMap { p in changelogTopics.map { KafkaTopicPartition(topic: $0, partition: p.partition) } })
    }

    /// Whether the last run's unpublished decisions are still to be taken back (the start could
    /// not write its store).
    private let lastRunPending = PendingTakeBack()

    /// Takes back every decision the last run made and never published (nothing is owned at
    /// start), once; throws while the store refuses the write.
    func takeBackLastRun() throws {
        try lastRunPending.value.withLock { pending in
            guard pending else { return }
            let taken = try store.pool.write { db in try takeBackUnpublished(of: nil, in: db) }
            pending = false
            if taken > 0 { logger.notice("took back decisions the last run did not publish; they are decided again", metadata: ["decisions": "\(taken)"]) }
        }
    }

    func restore(_ partitions: Set<KafkaTopicPartition>, committed: [KafkaTopicPartition: Int64]) throws {
        // Before anything of the last run's could be published for a partition now owned.
        try takeBackLastRun()
        let changelog = changelog(of: partitions)
        guard !changelog.isEmpty else { return }
        guard let engine = replica.engine else { throw KafkaError(kind: .closed, message: "intake's decision replica is not running") }
        let started = ContinuousClock.now
        try runBlocking {
            try await engine.follow(changelog)
            for partition in changelog {
                let end = try await engine.endOffset(of: partition)
                let deadline = ContinuousClock.now + .seconds(120)
                while (engine.position(of: partition) ?? -1) < end {
                    guard ContinuousClock.now < deadline else {
                        throw KafkaError(kind: .timedOut, message: "the decisions of \(partition) were not read up to \(end) within 120 s")
                    }
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
            // From here on only this instance writes these partitions: its replica stops reading them.
            try await engine.unfollow(changelog)
        }
        logger.info("restored the decisions of the partitions taken over", metadata: [
            "partitions": "\(partitions.map(\.partition).sorted())", "took": "\(ContinuousClock.now - started)",
        ])
    }

    func released(_ partitions: Set<KafkaTopicPartition>) {
        let numbers = Set(partitions.filter { $0.topic == submittedTopic }.map(\.partition))
        guard !numbers.isEmpty else { return }
        do {
            let taken = try store.pool.write { db in try takeBackUnpublished(of: numbers, in: db) }
            if taken > 0 { logger.notice("took back decisions that were not published before the partitions moved", metadata: ["decisions": "\(taken)"]) }
            if let engine = replica.engine {
                let changelog = changelog(of: partitions)
                try runBlocking { try await engine.follow(changelog) }
            }
        } catch {
            // The next assignment takes back whatever is left (restore runs after it).
            logger.error("could not hand partitions back cleanly", metadata: ["error": "\(error)"])
        }
    }

    /// Takes back every decision of `partitions` (every partition: `nil`) still in the outbox,
    /// i.e. never published; returns how many.
    func takeBackUnpublished(of partitions: Set<Int32>?, in db: Database) throws -> Int {
        let rows = try Outbox.owned(in: db).filter { row in partitions.map { $0.contains(row.ownerPartition ?? -1) } ?? true }
        guard !rows.isEmpty else { return 0 }
        let intake = IntakeStore(db)
        var submissions: [SubmissionReference] = []
        var firstSequence: [IIN: Int] = [:]
        for row in rows {
            guard let value = row.message.value else { continue }
            if row.message.topic == changelogTopics[0], let event = try? decoder.decode(RegistrationAccepted.self, from: value) {
                submissions.append(event.data.submission)
                let iin = event.data.person.iin
                firstSequence[iin] = min(firstSequence[iin] ?? .max, event.data.sequence)
            } else if row.message.topic == changelogTopics[1], let event = try? decoder.decode(RegistrationRejected.self, from: value) {
                submissions.append(event.data.submission)
            }
        }
        try Outbox.delete(ids: rows.map(\.id), in: db)
        try intake.forgetDecisions(submissions)
        for (iin, sequence) in firstSequence { try intake.forgetAccepted(iin, from: sequence) }
        return submissions.count
    }
}

/// Whether the last run's take-back is still to be done (shared by the copies of the handover).
final class PendingTakeBack: Sendable {
    let value = Mutex(true)
}
