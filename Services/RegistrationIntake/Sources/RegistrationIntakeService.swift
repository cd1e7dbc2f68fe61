// The registration-intake service: identity, configuration, store, consumers and routes.

import Foundation
import GRDB
import RegistrySchema
import ServiceRuntime

/// The `registration-intake` service (docs/architecture.md §2, §4.4, §5.2).
public enum RegistrationIntakeService: RegistryService {
    static let temporaryMaxDays = ConfigurationVariable("TEMPORARY_MAX_DAYS", default: "365", "Longest temporary registration in days.")
    static let outboxLimit = ConfigurationVariable(
        "INTAKE_OUTBOX_LIMIT", default: "10000", "Unsent submissions above which POST /v1/submissions answers 503 while the broker is away.")

    /// Name, port and configuration variables of `registration-intake`.
    public static let descriptor = ServiceDescriptor(
        name: "registration-intake",
        summary: "Decides which registration submissions become facts (the write side).",
        defaultPort: 8081,
        variables: [temporaryMaxDays, outboxLimit],
        eventSource: "/registry/intake"
    )

    public static func migrations(_ migrator: inout DatabaseMigrator) {
        IntakeMigrations.register(&migrator)
    }

    public static func parts(in environment: ServiceEnvironment) throws -> ServiceParts {
        let rules = SubmissionRules(temporaryMaxDays: try environment.settings.int(temporaryMaxDays, in: 1...3_650))
        let limit = try environment.settings.int(outboxLimit, in: 1...10_000_000)
        let topics = environment.topics
        let desk = SubmissionDesk(rules: rules, topics: topics, source: descriptor.eventSource)
        let routes = SubmissionRoutes(
            store: environment.store, relay: environment.relay, producer: environment.producer,
            submittedTopic: topics.name(for: .registrationSubmitted), outboxLimit: limit)
        // Submissions are decided against the catalog as intake has read it, so at start the
        // catalog's backlog is applied before any submission is (its own consumer opens the gate).
        let catalogRead = CatchUpGate(name: topics.name(for: .addressCatalog))
        // Each partition of the submitted topic is decided by one instance, which publishes its
        // decisions through the partition's fenced producer; every instance replicates the
        // decisions of the partitions it does not own (docs/scaling.md).
        let ownership = environment.partitionOwnership(
            of: .registrationSubmitted, everyInstanceComputes: false, readBack: [.registrationAccepted, .registrationRejected])
        let replica = EngineHandle()
        let handover = IntakeHandover(store: environment.store, replica: replica, topics: topics, logger: environment.logger)
        // Nothing is owned at start: what the last run decided and never published is taken back.
        // A store that refuses the write (full, read-only) does not stop the start: the service
        // comes up and reports its store failing, and the first takeover retries the take-back
        // until the store takes it, before anything is restored or decided.
        do {
            try handover.takeBackLastRun()
        } catch {
            environment.logger.error("could not take back the decisions the last run did not publish; the first takeover will", metadata: ["error": "\(error)"])
        }
        let processor = IntakeProcessor(topics: topics, desk: desk, ownership: ownership)
        var decisions = ConsumerPart(
            processor: DecisionReplica(topics: topics, logger: environment.logger),
            topics: [topics.name(for: .registrationAccepted), topics.name(for: .registrationRejected)], groupSuffix: ".decisions",
            membership: .everyPartition)
        decisions.handle = replica
        let catalog = ConsumerPart.catalogCopy(processor: processor, topics: topics, caughtUp: catalogRead, decidesEvents: true)
        var submissions = ConsumerPart(
            processor: processor, topics: [topics.name(for: .registrationSubmitted)], startsAfter: catalogRead, ownership: ownership,
            handover: PartitionHandover(acquiresOwnership: true, keeper: handover))
        submissions.decidedAgainst = catalog.handle
        return ServiceParts(
            consumers: [catalog, decisions, submissions],
            routes: { routes.add(to: $0) })
    }

    public static var openAPI: Data? {
        Bundle.module.url(forResource: "openapi", withExtension: "json").flatMap { try? Data(contentsOf: $0) }
    }
}
