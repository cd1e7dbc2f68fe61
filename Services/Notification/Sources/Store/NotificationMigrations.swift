// The tables of notification's store.

import GRDB
import ServiceRuntime

/// notification's schema: subscriptions and their IIN watch-lists, the events it routes, one
/// delivery per (subscription, event) with every attempt, and owners' consents.
enum NotificationMigrations {
    static func register(_ migrator: inout DatabaseMigrator) {
        AddressCatalog.registerMigration(&migrator)
        migrator.registerMigration("notification-1") { db in
            // Times are milliseconds since 1970 (UTC). `agency` is the creating token's `sub`; the
            // owner-alert channel has ''. Filters are comma-joined lists (NULL: no restriction).
            try db.execute(sql: """
                CREATE TABLE subscription (
                    id TEXT PRIMARY KEY,
                    agency TEXT NOT NULL,
                    created_ms INTEGER NOT NULL,
                    changes TEXT,
                    kato_prefixes TEXT,
                    watches_iins INTEGER NOT NULL,
                    iin_count INTEGER NOT NULL,
                    alerts INTEGER NOT NULL,
                    url TEXT NOT NULL,
                    receiver TEXT NOT NULL,
                    secret BLOB NOT NULL,
                    deleted INTEGER NOT NULL DEFAULT 0
                ) WITHOUT ROWID;
                CREATE INDEX subscription_by_agency ON subscription (agency, created_ms);
                -- The watch-lists, keyed by IIN first: an event finds its watchers without a scan.
                CREATE TABLE subscription_iin (
                    iin TEXT NOT NULL,
                    subscription_id TEXT NOT NULL REFERENCES subscription (id),
                    PRIMARY KEY (iin, subscription_id)
                ) WITHOUT ROWID;
                CREATE INDEX subscription_iin_by_subscription ON subscription_iin (subscription_id);
                -- Every routed event, kept for replay. seq is the delivery order.
                CREATE TABLE notification_event (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    event_id TEXT NOT NULL UNIQUE,
                    kind TEXT NOT NULL,
                    change TEXT,
                    katos TEXT NOT NULL,
                    iin TEXT,
                    order_key TEXT NOT NULL,
                    time_ms INTEGER NOT NULL,
                    body BLOB NOT NULL
                );
                CREATE INDEX notification_event_by_time ON notification_event (time_ms);
                CREATE TABLE delivery (
                    id INTEGER PRIMARY KEY,
                    subscription_id TEXT NOT NULL REFERENCES subscription (id),
                    event_seq INTEGER NOT NULL REFERENCES notification_event (seq),
                    order_key TEXT NOT NULL,
                    status TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    round_attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_ms INTEGER NOT NULL,
                    last_attempt_ms INTEGER,
                    http_status INTEGER,
                    error TEXT,
                    UNIQUE (subscription_id, event_seq)
                );
                CREATE INDEX delivery_due ON delivery (next_attempt_ms) WHERE status IN ('pending', 'retrying');
                CREATE INDEX delivery_queue ON delivery (subscription_id, order_key, event_seq) WHERE status IN ('pending', 'retrying');
                CREATE INDEX delivery_by_status ON delivery (subscription_id, status, id);
                CREATE TABLE delivery_attempt (
                    delivery_id INTEGER NOT NULL REFERENCES delivery (id),
                    attempt INTEGER NOT NULL,
                    at_ms INTEGER NOT NULL,
                    http_status INTEGER,
                    error TEXT,
                    latency_ms INTEGER NOT NULL,
                    PRIMARY KEY (delivery_id, attempt)
                ) WITHOUT ROWID;
                -- Which owner consented to a submission (read from registration.submitted.v1).
                CREATE TABLE owner_consent (
                    source TEXT NOT NULL,
                    id TEXT NOT NULL,
                    owner_iin TEXT NOT NULL,
                    at_ms INTEGER NOT NULL,
                    PRIMARY KEY (source, id)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("notification-2") { db in
            // What a subscription discloses is recorded with the purpose and organisation it was
            // created under (NULL for subscriptions made before). Replays are counted per agency
            // for REPLAYS_PER_HOUR.
            try db.execute(sql: """
                ALTER TABLE subscription ADD COLUMN purpose TEXT;
                ALTER TABLE subscription ADD COLUMN org TEXT;
                CREATE TABLE replay_request (agency TEXT NOT NULL, at_ms INTEGER NOT NULL);
                CREATE INDEX replay_request_by_agency ON replay_request (agency, at_ms);
                """)
        }
        migrator.registerMigration("notification-3-trace-context") { db in
            // The W3C Trace Context of each event, sent with its deliveries (NULL: untraced).
            try db.execute(sql: """
                ALTER TABLE notification_event ADD COLUMN traceparent TEXT;
                ALTER TABLE notification_event ADD COLUMN tracestate TEXT;
                """)
        }
        migrator.registerMigration("notification-4-event-source") { db in
            // Where each event was read: the instance that owns that partition delivers it, and
            // commits how far its deliveries are finished (docs/scaling.md).
            try db.execute(sql: """
                ALTER TABLE notification_event ADD COLUMN source_topic TEXT;
                ALTER TABLE notification_event ADD COLUMN source_partition INTEGER;
                ALTER TABLE notification_event ADD COLUMN source_offset INTEGER;
                CREATE INDEX notification_event_by_source ON notification_event (source_topic, source_partition, source_offset);
                """)
        }
        migrator.registerMigration("notification-5-delivery-source") { db in
            // Each delivery carries its event's source, so the owner's watermark (the first
            // unfinished offset of a partition, read every second) is one index lookup. Found by
            // joining the events, it scanned every unfinished delivery for each event of the
            // partition: minutes with 100,000 waiting, and the lease ran out meanwhile. The purge
            // asks the same of each old event ("does a delivery still wait for it?"): an index too.
            try db.execute(sql: """
                ALTER TABLE delivery ADD COLUMN source_topic TEXT;
                ALTER TABLE delivery ADD COLUMN source_partition INTEGER;
                ALTER TABLE delivery ADD COLUMN source_offset INTEGER;
                UPDATE delivery SET (source_topic, source_partition, source_offset) =
                    (SELECT e.source_topic, e.source_partition, e.source_offset FROM notification_event e WHERE e.seq = delivery.event_seq);
                CREATE INDEX delivery_unfinished_by_source ON delivery (source_topic, source_partition, source_offset) WHERE status IN ('pending', 'retrying');
                CREATE INDEX delivery_unfinished_by_event ON delivery (event_seq) WHERE status IN ('pending', 'retrying');
                """)
        }
    }
}
