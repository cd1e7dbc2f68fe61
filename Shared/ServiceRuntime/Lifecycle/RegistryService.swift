// What a service provides to the shared runtime.

import Foundation
import GRDB
import Kafka
import Logging
import ServiceLifecycle
import RegistrySchema

/// Everything the runtime has built that a service's parts may use.
public struct ServiceEnvironment: Sendable {
    /// Which service this is.
    public let descriptor: ServiceDescriptor
    /// The shared settings of docs/architecture.md §7.
    public let configuration: CommonConfiguration
    /// Reads the service's own variables (``ServiceDescriptor/variables``).
    public let settings: EnvironmentReader
    /// The service's store.
    public let store: ServiceStore
    /// The service's idempotent producer.
    public let producer: KafkaProducer
    /// Drains the store's outbox; wake it after committing outgoing messages outside the engine.
    public let relay: OutboxRelay
    /// Records disclosures of personal data (routes declared with a ``Disclosure`` use it).
    public let accessLog: AccessLog
    /// The topic names with the environment's prefix.
    public let topics: TopicNames
    /// "Now", held against the timestamps of consumed messages (see ``TrustedClock``).
    public let clock: TrustedClock
    /// The service's logger.
    public let logger: Logger
    /// Whether it runs with `--rebuild` (its store was dropped and is replayed from the topics).
    public var rebuilding = false

    /// The ownership of `topic`'s partitions in the consumer group `<prefix><service><groupSuffix>`:
    /// what messages of `topic` cause is published only by the instance that owns their partition,
    /// through a fenced producer (see ``PartitionOwnership``). The outbox relay follows it.
    /// - Parameter readBack: Topics the service also reads as a replica (see ``PartitionOwnership/readBackTopics``).
    public func partitionOwnership(
        of topic: RegistryTopic, groupSuffix: String = "", everyInstanceComputes: Bool, readBack: [RegistryTopic] = []
    ) -> PartitionOwnership {
        var producer = KafkaProducerConfiguration(client: configuration.kafka)
        producer.client.clientID = descriptor.name
        let ownership = PartitionOwnership(
            inputTopic: topics.name(for: topic), groupID: configuration.topicPrefix + descriptor.name + groupSuffix,
            everyInstanceComputes: everyInstanceComputes, readBackTopics: Set(readBack.map(topics.name(for:))), rebuilding: rebuilding,
            producer: producer, logger: logger)
        relay.follow(ownership)
        return ownership
    }
}

/// How soon a consumer must see a message once it is published.
///
/// Every pace stops fetching after 5 s without a message and then asks for its partitions' ends
/// instead (see ``FetchDormancySettings``): an idle stack cost Tansu a quarter of a core in
/// fetches alone (bench/results/idle-dormancy-ab-2026-12-06.txt). The first message after a quiet
/// spell waits up to the pace's check interval more at that hop.
public enum ConsumerPace: Sendable {
    /// On the way from a submission to what people read (intake's submissions, the index's
    /// accepted registrations, notification's changes): the broker holds an empty fetch for at
    /// most 20 ms; once dormant, the consumer looks for new messages every 250 ms.
    case prompt
    /// Decides what happens to other consumers' events (the catalog copies of
    /// ``ConsumerPart/catalogCopy(processor:topics:caughtUp:decidesEvents:)``): an event may follow
    /// its dwelling closely, so while fetching the broker holds an empty fetch for at most 20 ms.
    /// Once dormant it looks every second, and the engine that decides the events checks the
    /// copy's ends before its batches instead (``DecidingCopy``): looking every 50 ms, as it did
    /// before, was about half of an idle stack's ListOffsets requests.
    case decisive
    /// Nobody waits on it closely (audit, and the catalog copies that decide no event): the
    /// broker may hold an empty fetch for 500 ms and a dormant consumer looks every second. A
    /// fetch is one request per partition for the broker to answer, and an idle consumer asks
    /// again as soon as it is answered: polled 50 times a second, audit (every partition of every
    /// topic) was about a third of an idle broker's CPU.
    case background

    /// `fetch.wait.max.ms` for this pace.
    public var fetchWait: Duration {
        switch self {
        case .prompt, .decisive: .milliseconds(20)
        case .background: .milliseconds(500)
        }
    }

    /// When an idle consumer of this pace stops fetching, and how often it then looks for new
    /// messages.
    public var dormancy: FetchDormancySettings {
        switch self {
        case .prompt: FetchDormancySettings(after: .seconds(5), checkInterval: .milliseconds(250))
        case .decisive, .background: FetchDormancySettings(after: .seconds(5), checkInterval: .seconds(1))
        }
    }
}

/// One consumer of a service: its logic and its input topics (prefix applied).
public struct ConsumerPart: Sendable {
    /// The service's batch logic.
    public let processor: any BatchProcessor
    /// The topics it reads.
    public let topics: [String]
    /// Appended to the service's consumer group when a service has several consumers.
    public let groupSuffix: String
    /// Opened when this consumer has read its topics to their end once.
    public let caughtUp: CatchUpGate?
    /// This consumer starts once that gate is open.
    public let startsAfter: CatchUpGate?
    /// How soon it must see new messages.
    public let pace: ConsumerPace
    /// How much librdkafka fetches ahead, if not ``KafkaConsumerConfiguration/prefetchKilobytes``.
    public let prefetchKilobytes: Int?
    /// Whether the service's instances share its partitions or each reads them all.
    public let membership: ConsumerMembership
    /// Whose outbox rows the messages of its input topic cause (`nil`: this instance's).
    public let ownership: PartitionOwnership?
    /// How partitions move between instances (group membership).
    public let handover: PartitionHandover?
    /// `false` for a member that only holds partitions (``ownershipMember(_:)``).
    public var fetchesMessages = true
    /// Bound to the engine this part becomes, for the service's other parts.
    public var handle: EngineHandle?
    /// The copy this part's events are decided against (a decisive catalog copy's ``handle``):
    /// brought up to date before its batches (``DecidingCopy``).
    public var decidedAgainst: EngineHandle?

    /// Creates a consumer part.
    /// - Parameters:
    ///   - groupSuffix: Distinguishes the consumer groups of a service's consumers (e.g. `.catalog`).
    ///   - caughtUp: Opened when this consumer has read its topics to the end once.
    ///   - startsAfter: Another part's `caughtUp`, to apply that backlog first.
    ///   - pace: How soon it must see new messages.
    ///   - prefetchKilobytes: How much to fetch ahead, for a consumer of many more partitions
    ///     than one topic's (`nil`: the default).
    ///   - membership: ``ConsumerMembership/group`` (the default) or every partition in every instance.
    ///   - ownership: Publishes what messages of its topic cause (rows are tagged with their partition).
    ///   - handover: How partitions move between instances (group membership).
    public init(
        processor: any BatchProcessor, topics: [String], groupSuffix: String = "", caughtUp: CatchUpGate? = nil, startsAfter: CatchUpGate? = nil,
        pace: ConsumerPace = .prompt, prefetchKilobytes: Int? = nil, membership: ConsumerMembership = .group,
        ownership: PartitionOwnership? = nil, handover: PartitionHandover? = nil
    ) {
        self.membership = membership
        self.ownership = ownership
        self.handover = handover
        self.pace = pace
        self.prefetchKilobytes = prefetchKilobytes
        self.processor = processor
        self.topics = topics
        self.groupSuffix = groupSuffix
        self.caughtUp = caughtUp
        self.startsAfter = startsAfter
    }
}

extension ConsumerPart {
    /// The consumer of a service's copy of `address.catalog.v1` (group suffix `.catalog`); it
    /// opens `caughtUp` once it has read the catalog to its end. Every instance reads the whole
    /// catalog (``ConsumerMembership/everyPartition``): a group would give each instance part of
    /// it, and intake would reject the addresses of the other part as unknown.
    /// - Parameter decidesEvents: Whether the copy decides what happens to events (intake's
    ///   `UNKNOWN_ADDRESS`, notification's owner alerts). Such a copy is read at the decisive
    ///   pace, since an event may follow its dwelling closely, and gets a ``ConsumerPart/handle``
    ///   for the part that decides them to name as its ``ConsumerPart/decidedAgainst``; one that
    ///   decides none (the index's, whose owners only admit callers of the residents route, where
    ///   an owner just added may wait half a second longer) at the background pace.
    public static func catalogCopy(processor: any BatchProcessor, topics: TopicNames, caughtUp: CatchUpGate, decidesEvents: Bool) -> ConsumerPart {
        var part = ConsumerPart(
            processor: processor, topics: [topics.name(for: .addressCatalog)], groupSuffix: ".catalog", caughtUp: caughtUp,
            pace: decidesEvents ? .decisive : .background, membership: .everyPartition)
        // The part whose events it decides is given this handle as its `decidedAgainst`.
        if decidesEvents { part.handle = EngineHandle() }
        return part
    }
}

extension ConsumerPart {
    /// A member of the service's group that reads nothing and only holds the partitions of
    /// `ownership`'s topic, so that each partition has one owner among the instances, who
    /// publishes what every instance computes from it (address-index's replicas).
    public static func ownershipMember(_ ownership: PartitionOwnership) -> ConsumerPart {
        var part = ConsumerPart(
            processor: NothingToApply(), topics: [ownership.inputTopic], pace: .background, ownership: ownership,
            handover: PartitionHandover(acquiresOwnership: true))
        part.fetchesMessages = false
        return part
    }
}

/// The processor of a consumer that reads nothing.
struct NothingToApply: BatchProcessor {
    func apply(_ messages: [KafkaConsumerMessage], in transaction: inout BatchTransaction) throws {}
}

/// What a service adds to the runtime: consumers, routes and any long-running services.
public struct ServiceParts: Sendable {
    /// Its consumers (each becomes a ``ProcessingEngine`` in the group named after the service).
    public var consumers: [ConsumerPart]
    /// Declares its HTTP routes.
    public var routes: @Sendable (RouteTable) -> Void
    /// Long-running work of its own (e.g. clock-driven announcements), run beside the engines.
    public var services: [any Service]
    /// Creates parts.
    public init(consumers: [ConsumerPart] = [], routes: @escaping @Sendable (RouteTable) -> Void = { _ in }, services: [any Service] = []) {
        self.consumers = consumers
        self.routes = routes
        self.services = services
    }
}

/// A service of the registry, as the runtime runs it.
public protocol RegistryService {
    /// Name, port and configuration variables.
    static var descriptor: ServiceDescriptor { get }
    /// The service's own store migrations (named, append-only).
    static func migrations(_ migrator: inout DatabaseMigrator)
    /// Builds the service's consumers and routes.
    static func parts(in environment: ServiceEnvironment) throws -> ServiceParts
    /// The service's part of its OpenAPI document: a JSON object with the `paths` of its own
    /// routes and any `components` they refer to (see ``OpenAPIDocument``); `nil` if it has none.
    static var openAPI: Data? { get }
    /// Whether the store is a projection of its input topics that `--rebuild` may drop and
    /// replay (true for address-index; intake's decisions are not reproducible that way).
    static var rebuildsFromTopics: Bool { get }
}

extension RegistryService {
    public static func migrations(_ migrator: inout DatabaseMigrator) {}
    public static func parts(in environment: ServiceEnvironment) throws -> ServiceParts { ServiceParts() }
    public static var openAPI: Data? { nil }
    public static var rebuildsFromTopics: Bool { false }

    /// The service's whole OpenAPI document.
    public static func openAPIDocument() throws -> OpenAPIDocument {
        try OpenAPIDocument(descriptor: descriptor, fragment: openAPI)
    }
}
