// Subscriptions in the store: created, listed, read and deleted per agency; matched to events;
// replicated between instances.

import Foundation
import GRDB
import RegistrySchema

/// A subscription as the API shows it (never with its secret).
struct SubscriptionView: Encodable, Sendable {
    struct Delivery: Encodable, Sendable {
        var type = "webhook"
        var url: String
    }
    var id: String
    var createdAt: Timestamp
    var filter: SubscriptionFilter
    /// The watch-list's size (the list itself only in the single-subscription answer).
    var iinCount: Int?
    var delivery: Delivery
}

/// The `subscription` tables, through a connection inside the caller's transaction or read.
struct SubscriptionStore {
    let db: Database

    init(_ db: Database) {
        self.db = db
    }

    /// The channel owner alerts go through (`OWNER_ALERT_WEBHOOK_URL`); not an agency's.
    static let ownerAlertChannel = "owner-alerts"

    /// Switches the owner-alert channel off: nothing more is queued for it.
    func disableOwnerAlertChannel() throws {
        try db.execute(sql: "UPDATE subscription SET deleted = 1 WHERE id = ?", arguments: [Self.ownerAlertChannel])
    }

    /// Points the owner-alert channel at `channel`'s receiver. A channel that was off is made
    /// anew, so it keeps the time it was (re-)enabled: alerts go out for registrations from then on.
    func enableOwnerAlertChannel(_ channel: NewSubscription, at time: Timestamp) throws {
        let enabled = try Bool.fetchOne(db, sql: "SELECT deleted = 0 FROM subscription WHERE id = ?", arguments: [Self.ownerAlertChannel]) ?? false
        if !enabled {
            try db.execute(sql: "DELETE FROM subscription WHERE id = ?", arguments: [Self.ownerAlertChannel])
        }
        _ = try create(channel, agency: "", id: Self.ownerAlertChannel, at: time)
    }

    /// Stores a new subscription of `agency` (its `org`), made for `purpose` (the `X-Purpose` of
    /// the request: the legal ground its deliveries are recorded under).
    func create(
        _ new: NewSubscription, agency: String, org: String? = nil, purpose: String? = nil, id: String = "sub_" + UUID().uuidString.lowercased(),
        at time: Timestamp
    ) throws -> SubscriptionView {
        let watchList = new.filter.iins.map { Set($0.map(\.rawValue)) }
        try db.execute(
            sql: """
                INSERT INTO subscription (id, agency, created_ms, changes, kato_prefixes, watches_iins, iin_count, alerts, url, receiver, secret, org, purpose)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET url = excluded.url, receiver = excluded.receiver, secret = excluded.secret, deleted = 0
                """,
            arguments: [
                id, agency, time.milliseconds, StoredFilter.column(new.filter.changes?.map(\.rawValue)), StoredFilter.column(new.filter.katoPrefixes),
                watchList != nil, watchList?.count ?? 0, new.filter.alerts ?? false, new.url, new.receiver, Data(new.secret.key), org, purpose,
            ])
        if let watchList {
            let insert = try db.cachedStatement(sql: "INSERT INTO subscription_iin (iin, subscription_id) VALUES (?, ?)")
            for iin in watchList { try insert.execute(arguments: [iin, id]) }
        }
        // As the list shows it: alerts spelled out, kinds sorted, the watch-list as its size.
        var shown = new.filter
        shown.alerts = shown.alerts ?? false
        shown.changes = shown.changes?.sorted { $0.rawValue < $1.rawValue }
        shown.iins = nil
        return SubscriptionView(id: id, createdAt: time, filter: shown, iinCount: watchList?.count, delivery: .init(url: new.url))
    }

    /// The agency's live subscriptions, oldest first, without watch-lists.
    func list(agency: String) throws -> [SubscriptionView] {
        guard !agency.isEmpty else { return [] }
        return try Row.fetchAll(db, sql: "SELECT * FROM subscription WHERE agency = ? AND deleted = 0 ORDER BY created_ms, id", arguments: [agency]).map { try view($0, withIINs: false) }
    }

    /// One of the agency's live subscriptions with its watch-list; `nil` if it has no such one
    /// (another agency's looks exactly like a missing one).
    func find(_ id: String, agency: String) throws -> SubscriptionView? {
        guard !agency.isEmpty else { return nil }
        return try Row.fetchOne(db, sql: "SELECT * FROM subscription WHERE id = ? AND agency = ? AND deleted = 0", arguments: [id, agency]).map { try view($0, withIINs: true) }
    }

    /// Deletes one of the agency's subscriptions: no more matching, and its waiting deliveries
    /// are cancelled (history stays readable to nobody; the audit has the outcomes).
    /// - Returns: Whether it existed.
    func delete(_ id: String, agency: String) throws -> Bool {
        guard !agency.isEmpty else { return false }
        try db.execute(sql: "UPDATE subscription SET deleted = 1 WHERE id = ? AND agency = ? AND deleted = 0", arguments: [id, agency])
        guard db.changesCount > 0 else { return false }
        try forgetDeleted(id)
        return true
    }

    /// After `id` was marked deleted: its watch-list goes, its waiting deliveries are cancelled.
    private func forgetDeleted(_ id: String) throws {
        try db.execute(sql: "DELETE FROM subscription_iin WHERE subscription_id = ?", arguments: [id])
        try DeliveryQueue(db).cancelWaiting(subscription: id)
    }

    /// How many live subscriptions `agency` has, and how many IINs their watch-lists hold.
    func usage(agency: String) throws -> (subscriptions: Int, watchedIINs: Int) {
        let row = try Row.fetchOne(
            db, sql: "SELECT COUNT(*) AS n, COALESCE(SUM(iin_count), 0) AS iins FROM subscription WHERE agency = ? AND deleted = 0", arguments: [agency])
        return (row?["n"] ?? 0, row?["iins"] ?? 0)
    }

    /// Whether `agency` has a live subscription `id`.
    func owns(_ id: String, agency: String) throws -> Bool {
        guard !agency.isEmpty else { return false }
        return try Bool.fetchOne(db, sql: "SELECT 1 FROM subscription WHERE id = ? AND agency = ? AND deleted = 0", arguments: [id, agency]) ?? false
    }

    /// When `agency` asked for the replays still in the window that starts after `windowStart`
    /// (ms), oldest first; older ones are forgotten.
    func replays(agency: String, since windowStart: Int64) throws -> [Int64] {
        try db.execute(sql: "DELETE FROM replay_request WHERE at_ms <= ?", arguments: [windowStart])
        return try Int64.fetchAll(db, sql: "SELECT at_ms FROM replay_request WHERE agency = ? ORDER BY at_ms", arguments: [agency])
    }

    /// Counts a replay `agency` asked for at `at` (ms).
    func recordReplay(agency: String, at: Int64) throws {
        try db.execute(sql: "INSERT INTO replay_request (agency, at_ms) VALUES (?, ?)", arguments: [agency, at])
    }

    private func view(_ row: Row, withIINs: Bool) throws -> SubscriptionView {
        let id: String = row["id"]
        let stored = Self.filter(row)
        var filter = SubscriptionFilter(
            changes: stored.changes.map { Array($0).sorted { $0.rawValue < $1.rawValue } }, katoPrefixes: stored.katoPrefixes, iins: nil,
            alerts: stored.alerts)
        if withIINs, stored.watchesIINs {
            filter.iins = try String.fetchAll(db, sql: "SELECT iin FROM subscription_iin WHERE subscription_id = ? ORDER BY iin", arguments: [id]).compactMap(IIN.init(rawValue:))
        }
        return SubscriptionView(
            id: id, createdAt: Timestamp(milliseconds: row["created_ms"]), filter: filter,
            iinCount: stored.watchesIINs ? row["iin_count"] : nil, delivery: .init(url: row["url"]))
    }

    /// The filter of a row that has the columns changes, kato_prefixes, watches_iins and alerts.
    private static func filter(_ row: Row) -> StoredFilter {
        StoredFilter(changes: row["changes"], katoPrefixes: row["kato_prefixes"], watchesIINs: row["watches_iins"], alerts: row["alerts"])
    }

    // Routing: which subscriptions an event goes to (``EventRouter``).

    /// Whether `channel` is on and was switched on at or before `createdBy` (ms).
    func isOn(channel: String, createdBy: Int64) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM subscription WHERE id = ? AND deleted = 0 AND created_ms <= ?", arguments: [channel, createdBy]) ?? false
    }

    /// How subscriptions watching an IIN are found: through the watch-list's primary key.
    static let watchersSQL = """
        SELECT s.id, s.changes, s.kato_prefixes, s.watches_iins, s.alerts FROM subscription_iin w JOIN subscription s ON s.id = w.subscription_id
        WHERE w.iin = ? AND s.deleted = 0 AND s.created_ms <= ?
        """

    /// The live agency subscriptions, created at or before `createdBy` (ms), whose filter passes.
    /// Watch-lists are found through the IIN index (no scan of any list).
    func subscribers(_ facts: EventFacts, createdBy: Int64) throws -> [String] {
        var found: [String] = []
        let open = try db.cachedStatement(sql: """
            SELECT id, changes, kato_prefixes, watches_iins, alerts FROM subscription
            WHERE deleted = 0 AND agency != '' AND created_ms <= ? AND (watches_iins = 0 OR ?)
            """)
        for row in try Row.fetchAll(open, arguments: [createdBy, facts.kind == .alert]) {
            if Self.filter(row).matches(facts, watched: false) { found.append(row["id"]) }
        }
        guard facts.kind == .change, let iin = facts.iin else { return found }
        let watching = try db.cachedStatement(sql: Self.watchersSQL)
        for row in try Row.fetchAll(watching, arguments: [iin, createdBy]) {
            if Self.filter(row).matches(facts, watched: true) { found.append(row["id"]) }
        }
        return found
    }

    /// Subscription `id`'s filter and watch-list (empty unless it watches IINs), deleted or not;
    /// `nil` when there is no such subscription.
    func filterAndWatchList(_ id: String) throws -> (filter: StoredFilter, watchList: Set<String>)? {
        guard let row = try Row.fetchOne(db, sql: "SELECT changes, kato_prefixes, watches_iins, alerts FROM subscription WHERE id = ?", arguments: [id]) else {
            return nil
        }
        let filter = Self.filter(row)
        let watchList = filter.watchesIINs ? Set(try String.fetchAll(db, sql: "SELECT iin FROM subscription_iin WHERE subscription_id = ?", arguments: [id])) : []
        return (filter, watchList)
    }

    /// Who deliveries to a subscription are disclosed to (``QueuedDisclosures``).
    struct Recipient {
        /// The agency's token `sub` (empty for the owner-alert channel).
        var agency: String
        var org: String?
        /// The subscription's `X-Purpose`.
        var purpose: String?
        /// The receiver's host.
        var receiver: String?
    }

    /// The recipient of subscription `id`'s deliveries, deleted or not; `nil` when there is none.
    func recipient(_ id: String) throws -> Recipient? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT agency, org, purpose, receiver FROM subscription WHERE id = ?"), arguments: [id]).map {
            Recipient(agency: $0["agency"], org: $0["org"], purpose: $0["purpose"], receiver: $0["receiver"])
        }
    }

    // Replication through the changelog (``SubscriptionChangelog``).

    /// Subscription `id` with its watch-list as the store holds it; a deleted one (also one the
    /// store never had) as `deleted` only.
    func replicated(_ id: String) throws -> SubscriptionChangelog.StoredSubscription {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM subscription WHERE id = ?", arguments: [id]) else {
            return SubscriptionChangelog.StoredSubscription(id: id, deleted: true)
        }
        let deleted: Bool = row["deleted"]
        let iins = deleted ? [] : try String.fetchAll(db, sql: "SELECT iin FROM subscription_iin WHERE subscription_id = ? ORDER BY iin", arguments: [id])
        return SubscriptionChangelog.StoredSubscription(
            id: id, deleted: deleted, agency: row["agency"], createdMs: row["created_ms"], changes: row["changes"], katoPrefixes: row["kato_prefixes"],
            watchesIINs: row["watches_iins"], iins: iins, alerts: row["alerts"], url: row["url"], receiver: row["receiver"], secret: row["secret"],
            org: row["org"], purpose: row["purpose"])
    }

    /// Makes the store hold `stored` as another instance replicated it (a subscription this
    /// instance wrote itself is left as it is).
    func replicate(_ stored: SubscriptionChangelog.StoredSubscription) throws {
        let local = try Row.fetchOne(db, sql: "SELECT deleted, url, secret FROM subscription WHERE id = ?", arguments: [stored.id])
        if stored.deleted {
            guard let local, !(local["deleted"] as Bool) else { return }
            try db.execute(sql: "UPDATE subscription SET deleted = 1 WHERE id = ?", arguments: [stored.id])
            try forgetDeleted(stored.id)
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
