// The deliveries waiting in the store, and the record of each attempt.

import Foundation
import GRDB
import Kafka
import RegistrySchema
import ServiceRuntime

/// A delivery that is due, with everything an attempt needs.
struct DueDelivery: Sendable {
    let id: Int64
    let subscription: String
    /// The IIN (changes), RCA (alerts) or owner IIN (owner alerts): deliveries with the same key
    /// go out one at a time, in order; also the outcome event's `subject` for the audit trail.
    let orderKey: String
    let eventID: String
    let body: [UInt8]
    /// The event's trace, sent as `traceparent`/`tracestate`.
    let trace: EventTrace?
    let url: String
    let receiver: String
    let key: [UInt8]
    let attempts: Int
    let roundAttempts: Int

    /// The deliveries that go out one at a time, in order: one subscription's for one order key.
    struct Lane: Hashable, Sendable {
        let subscription: String
        let orderKey: String
    }

    /// This delivery's lane.
    var lane: Lane { Lane(subscription: subscription, orderKey: orderKey) }
}

/// How one attempt ended.
enum AttemptResult: Sendable, Equatable {
    /// The receiver answered with this status.
    case answered(Int)
    /// No answer: timeout, refused connection, TLS failure… (the reason, for the record).
    case failed(String)

    var succeeded: Bool {
        if case .answered(let status) = self { return (200..<300).contains(status) }
        return false
    }
    var httpStatus: Int? {
        if case .answered(let status) = self { return status }
        return nil
    }
    var error: String? {
        switch self {
        case .answered(let status): (200..<300).contains(status) ? nil : "HTTP \(status)"
        case .failed(let reason): reason
        }
    }
}

/// Reads and updates the `delivery` table within a connection.
struct DeliveryQueue {
    let db: Database

    init(_ db: Database) {
        self.db = db
    }

    /// Drops the unfinished deliveries of events read from `partitions` (every partition: `nil`).
    /// A retrying delivery has attempts: they go first (they refer to it).
    func dropUnfinished(of partitions: Set<KafkaTopicPartition>?) throws {
        guard let partitions else {
            try db.execute(sql: "DELETE FROM delivery_attempt WHERE delivery_id IN (SELECT id FROM delivery WHERE status IN ('pending', 'retrying'))")
            try db.execute(sql: "DELETE FROM delivery WHERE status IN ('pending', 'retrying')")
            return
        }
        let unfinished = "SELECT id FROM delivery WHERE status IN ('pending', 'retrying') AND source_topic = ? AND source_partition = ?"
        for partition in partitions {
            try db.execute(sql: "DELETE FROM delivery_attempt WHERE delivery_id IN (\(unfinished))", arguments: [partition.topic, partition.partition])
            try db.execute(sql: "DELETE FROM delivery WHERE id IN (\(unfinished))", arguments: [partition.topic, partition.partition])
        }
    }

    /// Cancels the waiting (pending or retrying) deliveries of `subscription` (it was deleted).
    func cancelWaiting(subscription: String) throws {
        try db.execute(sql: "UPDATE delivery SET status = 'cancelled' WHERE subscription_id = ? AND status IN ('pending', 'retrying')", arguments: [subscription])
    }

    /// The offset of the earliest event read from `partition` whose delivery is not finished.
    func firstUnfinishedOffset(of partition: KafkaTopicPartition) throws -> Int64? {
        try Int64.fetchOne(db, sql: """
            SELECT MIN(source_offset) FROM delivery WHERE status IN ('pending', 'retrying') AND source_topic = ? AND source_partition = ?
            """, arguments: [partition.topic, partition.partition])
    }

    /// Due deliveries in due order, only the first unfinished one per (subscription, order key)
    /// (so per-IIN order holds), skipping `excluded` deliveries (in flight, cooling down) and
    /// receivers that are at their concurrency limit. Of the first `limit` such rows it returns
    /// those `room` can start, in order, and decodes only them; it stops reading rows once every
    /// receiver is at its limit. The rest wait for the next call.
    /// - Returns: The deliveries to start, and whether the engine should wait for an attempt to
    ///   end before it looks again (a delivery was due, or every receiver is at its limit)
    ///   rather than for the next retry to fall due.
    func due(
        now: Int64, excluding excluded: Set<Int64>, room: DispatchRoom, limit: Int
    ) throws -> (deliveries: [DueDelivery], waitForAttempts: Bool) {
        var room = room
        let receivers = try activeReceivers()
        // Every receiver at its limit: nothing can start until an attempt ends (which wakes the
        // engine). Without this, each newly routed event would make the query skip over every
        // waiting delivery of the busy receivers: with one slow receiver and a large backlog that
        // scan was the whole cost of delivery.
        guard !room.isBusy(receivers) else { return ([], true) }
        let (filter, arguments) = Self.dispatchable(excluded: excluded, busyReceivers: room.busyReceivers)
        let rows = try Row.fetchCursor(db, sql: """
            SELECT d.id, d.subscription_id, d.order_key, d.attempts, d.round_attempts, e.event_id, e.body, e.traceparent, e.tracestate, s.url, s.receiver, s.secret
            FROM delivery d JOIN subscription s ON s.id = d.subscription_id JOIN notification_event e ON e.seq = d.event_seq
            WHERE d.next_attempt_ms <= ? AND \(filter)
            ORDER BY d.next_attempt_ms, d.id LIMIT ?
            """, arguments: StatementArguments([now] + arguments + [limit]))
        var deliveries: [DueDelivery] = []
        var anyDue = false
        // Columns by position: by name, GRDB compares case-insensitively, lower-casing each name
        // (3 % of notification's CPU while delivering, perf, 2026-12-08).
        while room.free > 0, let row = try rows.next() {
            anyDue = true
            let subscription: String = row[1], orderKey: String = row[2], receiver: String = row[10]
            guard room.take(receiver: receiver, lane: DueDelivery.Lane(subscription: subscription, orderKey: orderKey)) else { continue }
            deliveries.append(DueDelivery(
                id: row[0], subscription: subscription, orderKey: orderKey, eventID: row[5], body: Array(row[6] as Data),
                trace: EventTrace.present(traceparent: row[7], tracestate: row[8]),
                url: row[9], receiver: receiver, key: Array(row[11] as Data), attempts: row[3], roundAttempts: row[4]))
            if room.isBusy(receivers) { break }
        }
        return (deliveries, anyDue)
    }

    /// The receivers of the subscriptions that are not deleted (few: one per agency endpoint).
    func activeReceivers() throws -> Set<String> {
        Set(try String.fetchAll(db, sql: "SELECT DISTINCT receiver FROM subscription WHERE deleted = 0"))
    }

    /// When the next delivery that ``due(now:excluding:busyReceivers:limit:)`` could return falls
    /// due, if it is later than `now` (ms since 1970). Held-back, in-flight and busy-receiver
    /// deliveries do not count, so the engine never wakes for work it cannot start.
    func nextDue(after now: Int64, excluding excluded: Set<Int64>, busyReceivers: Set<String>) throws -> Int64? {
        let (filter, arguments) = Self.dispatchable(excluded: excluded, busyReceivers: busyReceivers)
        return try Int64.fetchOne(db, sql: """
            SELECT MIN(d.next_attempt_ms) FROM delivery d JOIN subscription s ON s.id = d.subscription_id
            WHERE d.next_attempt_ms > ? AND \(filter)
            """, arguments: StatementArguments([now] + arguments))
    }

    /// The conditions both queries share, with their arguments (lists as `?` placeholders).
    private static func dispatchable(excluded: Set<Int64>, busyReceivers: Set<String>) -> (String, [any DatabaseValueConvertible]) {
        var sql = "d.status IN ('pending', 'retrying') AND s.deleted = 0"
        var arguments: [any DatabaseValueConvertible] = []
        if !excluded.isEmpty {
            sql += " AND d.id NOT IN (\(excluded.map { _ in "?" }.joined(separator: ",")))"
            arguments += excluded.map { $0 as any DatabaseValueConvertible }
        }
        if !busyReceivers.isEmpty {
            sql += " AND s.receiver NOT IN (\(busyReceivers.map { _ in "?" }.joined(separator: ",")))"
            arguments += busyReceivers.map { $0 as any DatabaseValueConvertible }
        }
        sql += """
             AND NOT EXISTS (
                SELECT 1 FROM delivery p WHERE p.subscription_id = d.subscription_id AND p.order_key = d.order_key
                AND p.status IN ('pending', 'retrying') AND p.event_seq < d.event_seq)
            """
        return (sql, arguments)
    }

    /// Deletes what is older than `before` (ms since 1970) and finished: routed events no
    /// delivery waits for, with their deliveries and attempts, and owners' consents.
    /// - Returns: How many events went.
    func purge(before: Int64) throws -> Int {
        let old = "SELECT e.seq FROM notification_event e WHERE e.time_ms < ? AND NOT EXISTS (SELECT 1 FROM delivery w WHERE w.event_seq = e.seq AND w.status IN ('pending', 'retrying'))"
        try db.execute(sql: "DELETE FROM delivery_attempt WHERE delivery_id IN (SELECT id FROM delivery WHERE event_seq IN (\(old)))", arguments: [before])
        try db.execute(sql: "DELETE FROM delivery WHERE event_seq IN (\(old))", arguments: [before])
        try db.execute(sql: "DELETE FROM notification_event WHERE seq IN (\(old))", arguments: [before])
        let events = db.changesCount
        try db.execute(sql: "DELETE FROM owner_consent WHERE at_ms < ?", arguments: [before])
        return events
    }

    /// Records an attempt and its consequence: `delivered`, `retrying` (with the next time from
    /// the schedule) or `dead`.
    /// - Returns: The outcome, for `notification.outcome.v1`; `nil` when the delivery is no longer
    ///   there to record (its partition was handed over while the attempt was in flight, and the
    ///   new owner queues it again).
    func record(_ delivery: DueDelivery, result: AttemptResult, latencyMs: Int, schedule: RetrySchedule, now: Int64) throws -> NotificationOutcome? {
        let attempt = delivery.attempts + 1
        let round = delivery.roundAttempts + 1
        let status: DeliveryStatus
        var next = now
        if result.succeeded {
            status = .delivered
        } else if let pause = schedule.pause(after: round) {
            status = .retrying
            next = now + pause.milliseconds
        } else {
            status = .dead
        }
        try db.execute(sql: """
            UPDATE delivery SET status = ?, attempts = ?, round_attempts = ?, next_attempt_ms = ?, last_attempt_ms = ?, http_status = ?, error = ? WHERE id = ?
            """, arguments: [status.rawValue, attempt, round, next, now, result.httpStatus, result.error, delivery.id])
        // Attempts recorded together share a transaction: a delivery that is gone must not fail
        // the others' records (its attempt row would refer to nothing).
        guard db.changesCount > 0 else { return nil }
        try db.execute(
            sql: "INSERT INTO delivery_attempt (delivery_id, attempt, at_ms, http_status, error, latency_ms) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [delivery.id, attempt, now, result.httpStatus, result.error, latencyMs])
        return NotificationOutcome(
            subscriptionId: delivery.subscription, eventId: delivery.eventID, status: status, attempt: attempt, httpStatus: result.httpStatus, latencyMs: latencyMs)
    }
}

/// A delivery as `GET /v1/subscriptions/{id}/deliveries` shows it.
struct DeliveryView: Encodable, Sendable {
    var id: Int64
    var eventId: String
    /// `pending` (not tried yet), `retrying`, `delivered` or `dead`.
    var status: String
    var attempts: Int
    var lastAttemptAt: Timestamp?
    var nextAttemptAt: Timestamp?
    var httpStatus: Int?
    var error: String?

    /// A page of a subscription's deliveries, newest first, from `cursor` (a previous page's
    /// last id) on.
    static func page(_ db: Database, subscription: String, status: String?, cursor: Int64?, limit: Int) throws -> [DeliveryView] {
        try Row.fetchAll(db, sql: """
            SELECT d.id, e.event_id, d.status, d.attempts, d.last_attempt_ms, d.next_attempt_ms, d.http_status, d.error
            FROM delivery d JOIN notification_event e ON e.seq = d.event_seq
            WHERE d.subscription_id = ? AND (? IS NULL OR d.status = ?) AND (? IS NULL OR d.id < ?)
            ORDER BY d.id DESC LIMIT ?
            """, arguments: [subscription, status, status, cursor, cursor, limit]).map { row in
            let status: String = row["status"]
            let waiting = status == "pending" || status == "retrying"
            return DeliveryView(
                id: row["id"], eventId: row["event_id"], status: status, attempts: row["attempts"],
                lastAttemptAt: (row["last_attempt_ms"] as Int64?).map(Timestamp.init(milliseconds:)),
                nextAttemptAt: waiting ? Timestamp(milliseconds: row["next_attempt_ms"]) : nil, httpStatus: row["http_status"], error: row["error"])
        }
    }
}
