// Stores a routed event and queues one delivery per subscription that wants it.

import Foundation
import GRDB
import RegistrySchema
import ServiceRuntime

/// Turns an event into deliveries, inside the caller's transaction: the store of events and of
/// the deliveries queued for them (``SubscriptionStore`` says which subscriptions want an event).
/// An event id already routed (a re-sent message) is ignored, so each subscription gets one
/// delivery per event (docs/architecture.md §6).
///
/// Every instance stores every event (for replays); deliveries are queued only by the instance
/// that owns the event's partition (``DeliveryOwnership``), from where the last owner's
/// deliveries ended on.
struct EventRouter {
    let db: Database

    init(_ db: Database) {
        self.db = db
    }

    /// Where a routed event was read: its topic, partition and offset.
    struct Source: Sendable {
        var topic: String
        var partition: Int32
        var offset: Int64
    }

    /// Routes one event.
    /// - Parameters:
    ///   - id: The CloudEvent `id` (the deliveries' `webhook-id`).
    ///   - time: The CloudEvent `time`: subscriptions created later do not get it (only by replay).
    ///   - body: The exact bytes to deliver.
    ///   - orderKey: Deliveries with the same key go out in routing order (the IIN, the RCA, or the
    ///     owner of an owner alert).
    ///   - channel: For owner alerts: the one subscription that gets them.
    ///   - trace: The event's trace, sent with every delivery as `traceparent`/`tracestate`.
    ///   - source: Where it was read.
    ///   - deliver: Whether this instance queues its deliveries (it owns the source partition).
    /// - Returns: The subscriptions a delivery was queued for (none for a repeat): each is a
    ///   disclosure to record (``QueuedDisclosures``).
    @discardableResult
    func route(
        id: String, time: Timestamp, body: [UInt8], facts: EventFacts, orderKey: String, channel: String? = nil, trace: EventTrace? = nil, source: Source? = nil,
        deliver: Bool = true, now: Int64
    ) throws -> [String] {
        try db.cachedStatement(sql: """
            INSERT INTO notification_event (event_id, kind, change, katos, iin, order_key, time_ms, body, traceparent, tracestate, source_topic, source_partition, source_offset)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (event_id) DO NOTHING
            """).execute(
            arguments: [
                id, facts.kind.rawValue, facts.change?.rawValue, facts.katos.map(\.rawValue).joined(separator: ","), facts.iin, orderKey,
                time.milliseconds, Data(body), trace?.traceparent, trace?.tracestate, source?.topic, source?.partition, source?.offset,
            ])
        guard db.changesCount > 0, deliver else { return [] }
        return try queue(seq: db.lastInsertedRowID, time: time.milliseconds, facts: facts, orderKey: orderKey, channel: channel, source: source, now: now)
    }

    /// A pending delivery (arguments: subscription, event seq, order key, first attempt time, and
    /// the event's source topic, partition and offset: the owner's delivered watermark is a lookup
    /// in their index). Given as values: an INSERT … SELECT from the event row cost ~7 µs more.
    static let insertDeliverySQL = """
        INSERT INTO delivery (subscription_id, event_seq, order_key, status, next_attempt_ms, source_topic, source_partition, source_offset)
        VALUES (?, ?, ?, 'pending', ?, ?, ?, ?)
        """

    /// Queues the deliveries of a stored event for the subscriptions that want it.
    private func queue(seq: Int64, time: Int64, facts: EventFacts, orderKey: String, channel: String?, source: Source?, now: Int64) throws -> [String] {
        let subscriptions = SubscriptionStore(db)
        let targets = try channel.map { try subscriptions.isOn(channel: $0, createdBy: time) ? [$0] : [] } ?? subscriptions.subscribers(facts, createdBy: time)
        let insert = try db.cachedStatement(sql: """
            \(Self.insertDeliverySQL)
            ON CONFLICT (subscription_id, event_seq) DO NOTHING
            """)
        var queued: [String] = []
        for subscription in targets {
            try insert.execute(arguments: [subscription, seq, orderKey, now, source?.topic, source?.partition, source?.offset])
            if db.changesCount > 0 { queued.append(subscription) }
        }
        return queued
    }

    /// Queues the deliveries of the stored events of a partition from `offset` on, in their
    /// order: what an instance that takes the partition over owes from where its last owner's
    /// deliveries ended (events its replica stored before it owned the partition).
    /// - Returns: Each queued delivery's subscription and the people it discloses (for the
    ///   disclosure records): the person of a change, the owner and the newcomer of an owner alert.
    func queueStored(topic: String, partition: Int32, from offset: Int64, now: Int64) throws -> [(subscription: String, people: [String])] {
        let events = try Row.fetchAll(db, sql: """
            SELECT seq, kind, change, katos, iin, order_key, time_ms, source_offset FROM notification_event
            WHERE source_topic = ? AND source_partition = ? AND source_offset >= ? ORDER BY seq
            """, arguments: [topic, partition, offset])
        var queued: [(String, [String])] = []
        for event in events {
            guard let facts = Self.facts(event) else { continue }
            let channel = facts.kind == .ownerAlert ? SubscriptionStore.ownerAlertChannel : nil
            let people = (facts.kind == .ownerAlert ? [event["order_key"] as String] : []) + [facts.iin?.rawValue].compactMap { $0 }
            let source = Source(topic: topic, partition: partition, offset: event["source_offset"])
            for subscription in try queue(
                seq: event["seq"], time: event["time_ms"], facts: facts, orderKey: event["order_key"], channel: channel, source: source, now: now)
            {
                queued.append((subscription, facts.kind == .alert ? [] : people))
            }
        }
        return queued
    }

    /// The facts of a stored event row (columns kind, change, katos, iin).
    static func facts(_ event: Row) -> EventFacts? {
        guard let kind = EventFacts.Kind(rawValue: event["kind"]) else { return nil }
        let iin: String? = event["iin"]
        let katos = (event["katos"] as String).split(separator: ",").compactMap { KATO(rawValue: String($0)) }
        return EventFacts(
            kind: kind, change: (event["change"] as String?).flatMap(AddressChangeKind.init(rawValue:)), katos: katos, iin: iin.flatMap(IIN.init(rawValue:)))
    }

    /// Queues again every stored event from `since` on that `subscription`'s filter passes
    /// (whatever its creation time): new deliveries for events it never had, and finished ones
    /// (`delivered`, `dead`) back to `pending` with a fresh schedule. Waiting ones stay as they are.
    /// Works through at most `chunk` events after the one numbered `after`.
    /// - Returns: How many deliveries were queued, the people they concern (to record the
    ///   disclosure), the last event looked at (`nil` when done), and how many matching events
    ///   belong to partitions other instances own (they queue those).
    /// - Parameter owned: Whether this instance delivers the events read from a partition (`nil`:
    ///   all; with several instances, each queues the replay of the partitions it owns).
    func replay(
        subscription: String, since: Timestamp, after: Int64, chunk: Int = 5_000, owned: ((String, Int32) -> Bool)? = nil, now: Int64
    ) throws -> (queued: Int, people: [String], lastSeq: Int64?, elsewhere: Int) {
        guard let subscribed = try SubscriptionStore(db).filterAndWatchList(subscription) else { return (0, [], nil, 0) }
        let (filter, watchList) = subscribed
        let queue = try db.cachedStatement(sql: """
            \(Self.insertDeliverySQL)
            ON CONFLICT (subscription_id, event_seq) DO UPDATE SET status = 'pending', round_attempts = 0, next_attempt_ms = excluded.next_attempt_ms
            WHERE status IN ('delivered', 'dead')
            """)
        var queued = 0
        var elsewhere = 0
        var people: [String] = []
        var last: Int64?
        let events = try Row.fetchCursor(db, sql: """
            SELECT seq, kind, change, katos, iin, order_key, source_topic, source_partition, source_offset FROM notification_event
            WHERE seq > ? AND time_ms >= ? AND kind != 'owner-alert' ORDER BY seq LIMIT ?
            """, arguments: [after, since.milliseconds, chunk])
        while let event = try events.next() {
            last = event["seq"]
            guard let facts = Self.facts(event) else { continue }
            let iin = facts.iin?.rawValue
            guard filter.matches(facts, watched: iin.map(watchList.contains) ?? false) else { continue }
            if let owned, let topic = event["source_topic"] as String?, let partition = event["source_partition"] as Int32?, !owned(topic, partition) {
                elsewhere += 1
                continue
            }
            try queue.execute(arguments: [
                subscription, event["seq"], event["order_key"], now, event["source_topic"] as String?, event["source_partition"] as Int32?,
                event["source_offset"] as Int64?,
            ])
            queued += db.changesCount
            if db.changesCount > 0, let iin { people.append(iin) }
        }
        return (queued, people, last, elsewhere)
    }
}
