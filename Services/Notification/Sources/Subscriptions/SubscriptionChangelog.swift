// The subscriptions every notification instance shares: an internal compacted topic is their
// changelog.

import Foundation
import GRDB
import Kafka
import Logging
import RegistrySchema
import ServiceLifecycle
import ServiceRuntime

/// notification's internal topic `<prefix>notification.subscriptions.v1` (compacted, keyed by
/// subscription id): every agency subscription as created, its deletion, and replay requests.
/// Every instance reads all of it (``SubscriptionReplica``), so whichever instance an agency
/// reaches sees its subscriptions, and whichever instance owns a person's partition delivers to
/// them. It carries the webhook secrets: give only notification access to it. The owner-alert
/// channel is each instance's own configuration and is not on it.
enum SubscriptionChangelog {
    /// The topic's name without the prefix. It is internal, not part of the public contract.
    static let baseName = "notification.subscriptions.v1"

    /// The topic's name.
    static func topic(_ topics: TopicNames) -> String { topics.prefix + baseName }

    /// One message: a subscription as it now stands, or a replay request.
    struct Record: Codable, Sendable {
        var subscription: StoredSubscription?
        var replay: ReplayRequest?
    }

    /// A subscription with its watch-list, as the `subscription` tables hold it.
    struct StoredSubscription: Codable, Sendable {
        var id: String
        var deleted: Bool
        var agency: String?
        var createdMs: Int64?
        var changes: String?
        var katoPrefixes: String?
        var watchesIINs: Bool?
        var iins: [String]?
        var alerts: Bool?
        var url: String?
        var receiver: String?
        var secret: Data?
        var org: String?
        var purpose: String?
    }

    /// A replay an agency asked one instance for: every instance queues it for the partitions it
    /// owns.
    struct ReplayRequest: Codable, Sendable {
        var subscription: String
        var sinceMs: Int64
        var purpose: String?
        var requestedMs: Int64
        /// The instance that took the request (it queued its own part already).
        var origin: String
    }

    /// Replay requests older than this are not acted on (an instance reading the topic from its
    /// start, or long after, does not replay again).
    static let replayValidity: Int64 = 10 * 60 * 1000

    /// This process's name in ``ReplayRequest/origin``.
    static let instance = UUID().uuidString.lowercased()

    private static let encoder = JSONEncoder()
    private static let decoder = JSONDecoder()

    /// The message that replicates subscription `id` as the store now holds it.
    static func message(subscription id: String, in db: Database, topics: TopicNames) throws -> KafkaProducerMessage {
        try message(Record(subscription: try SubscriptionStore(db).replicated(id)), key: id, topics: topics)
    }

    /// The message of a replay request.
    static func message(replay: ReplayRequest, topics: TopicNames) throws -> KafkaProducerMessage {
        try message(Record(replay: replay), key: "replay/\(replay.subscription)", topics: topics)
    }

    private static func message(_ record: Record, key: String, topics: TopicNames) throws -> KafkaProducerMessage {
        KafkaProducerMessage(topic: topic(topics), key: key, value: [UInt8](try encoder.encode(record)))
    }

    /// Decodes a message's value.
    static func record(_ value: [UInt8]) throws -> Record {
        try decoder.decode(Record.self, from: Data(value))
    }
}

/// Applies the subscriptions changelog: subscriptions other instances created or deleted, and
/// their replay requests (queued here for the partitions this instance owns).
struct SubscriptionReplica: BatchProcessor {
    let ownership: DeliveryOwnership
    let newDeliveries: WakeSignal
    let accessTopic: String
    let source: String
    let logger: Logger

    func apply(_ messages: [KafkaConsumerMessage], in transaction: inout BatchTransaction) throws {
        let now = Timestamp(.now)
        for message in messages {
            guard let value = message.value else { continue }
            let record: SubscriptionChangelog.Record
            do { record = try SubscriptionChangelog.record(value) } catch {
                logger.warning("an unreadable record on the subscriptions changelog is skipped", metadata: ["offset": "\(message.offset)"])
                continue
            }
            if let stored = record.subscription, stored.id != SubscriptionStore.ownerAlertChannel {
                try SubscriptionStore(transaction.db).replicate(stored)
            }
            if let replay = record.replay, replay.origin != SubscriptionChangelog.instance,
                now.milliseconds - replay.requestedMs < SubscriptionChangelog.replayValidity
            {
                for access in try queue(replay, in: transaction.db, now: now) {
                    try transaction.emit(try AccessLog.message(access, topic: accessTopic, source: source))
                }
            }
        }
    }

    func didCommit() {
        newDeliveries.signal()
    }

    /// Queues `replay` for the events of the partitions this instance owns.
    /// - Returns: The disclosures to record.
    func queue(_ replay: SubscriptionChangelog.ReplayRequest, in db: Database, now: Timestamp) throws -> [AccessLogged] {
        var after: Int64 = 0
        var people: [String] = []
        while true {
            let chunk = try EventRouter(db).replay(
                subscription: replay.subscription, since: Timestamp(milliseconds: replay.sinceMs), after: after,
                owned: { ownership.owns(topic: $0, partition: $1) }, now: now.milliseconds)
            people += chunk.people
            guard let last = chunk.lastSeq else { break }
            after = last
        }
        var disclosures = QueuedDisclosures()
        if !people.isEmpty { disclosures.add(.replay, subscription: replay.subscription, people: people) }
        return try disclosures.events(in: db, service: NotificationService.descriptor.name, purpose: replay.purpose, at: now)
    }
}

/// Creates the subscriptions changelog topic at start (compacted, one partition), as Kafka
/// Streams creates its internal topics; an existing one is left as it is.
struct SubscriptionTopicCreator: Service {
    let kafka: KafkaClientConfiguration
    let topic: String
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var attempt = 0
            while !Task.isCancelled {
                do {
                    let admin = try KafkaAdmin(configuration: kafka, logger: logger)
                    _ = try await admin.createTopics([
                        KafkaTopicSpecification(name: topic, partitions: 1, configs: ["cleanup.policy": "compact", "retention.ms": "-1"])
                    ])
                    return
                } catch {
                    attempt += 1
                    if attempt == 1 { logger.warning("could not create the subscriptions changelog topic yet; retrying", metadata: ["error": "\(error)"]) }
                    try? await Task.sleep(for: .seconds(2))
                }
            }
        }
        try? await gracefulShutdown()
    }
}
