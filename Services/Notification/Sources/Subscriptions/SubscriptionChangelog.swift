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
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM subscription WHERE id = ?", arguments: [id]) else {
            return try message(Record(subscription: StoredSubscription(id: id, deleted: true)), key: id, topics: topics)
        }
        let deleted: Bool = row["deleted"]
        let iins = deleted ? [] : try String.fetchAll(db, sql: "SELECT iin FROM subscription_iin WHERE subscription_id = ? ORDER BY iin", arguments: [id])
        let stored = StoredSubscription(
            id: id, deleted: deleted, agency: row["agency"], createdMs: row["created_ms"], changes: row["changes"], katoPrefixes: row["kato_prefixes"],
            watchesIINs: row["watches_iins"], iins: iins, alerts: row["alerts"], url: row["url"], receiver: row["receiver"], secret: row["secret"],
            org: row["org"], purpose: row["purpose"])
        return try message(Record(subscription: stored), key: id, topics: topics)
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

    /// Makes the store hold `stored` (a subscription this instance wrote itself is left as it is).
    static func apply(_ stored: StoredSubscription, in db: Database) throws {
        let local = try Row.fetchOne(db, sql: "SELECT deleted, url, secret FROM subscription WHERE id = ?", arguments: [stored.id])
        if stored.deleted {
            guard let local, !(local["deleted"] as Bool) else { return }
            try db.execute(sql: "UPDATE subscription SET deleted = 1 WHERE id = ?", arguments: [stored.id])
            try db.execute(sql: "DELETE FROM subscription_iin WHERE subscription_id = ?", arguments: [stored.id])
            try db.execute(sql: "UPDATE delivery SET status = 'cancelled' WHERE subscription_id = ? AND status IN ('pending', 'retrying')", arguments: [stored.id])
            return
        }
        if let local, !(local["deleted"] as Bool), local["url"] == stored.url, local["secret"] as Data? == stored.secret { return }
        guard let agency = stored.agency, let created = stored.createdMs, let url = stored.url, let receiver = stored.receiver, let secret = stored.secret else { return }
        try db.execute(
            sql: """
                INSERT INTO subscription (id, agency, created_ms, changes, kato_prefixes, watches_iins, iin_count, alerts, url, receiver, secret, org, purpose, deleted)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
                ON CONFLICT (id) DO UPDATE SET agency = excluded.agency, created_ms = excluded.created_ms, changes = excluded.changes,
                    kato_prefixes = excluded.kato_prefixes, watches_iins = excluded.watches_iins, iin_count = excluded.iin_count, alerts = excluded.alerts,
                    url = excluded.url, receiver = excluded.receiver, secret = excluded.secret, org = excluded.org, purpose = excluded.purpose, deleted = 0
                """,
            arguments: [
                stored.id, agency, created, stored.changes, stored.katoPrefixes, stored.watchesIINs ?? false, stored.iins?.count ?? 0, stored.alerts ?? false,
                url, receiver, secret, stored.org, stored.purpose,
            ])
        try db.execute(sql: "DELETE FROM subscription_iin WHERE subscription_id = ?", arguments: [stored.id])
        let insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO subscription_iin (iin, subscription_id) VALUES (?, ?)")
        for iin in stored.iins ?? [] { try insert.execute(arguments: [iin, stored.id]) }
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
                try SubscriptionChangelog.apply(stored, in: transaction.db)
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
