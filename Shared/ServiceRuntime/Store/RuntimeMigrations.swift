// The tables every service's store has: consumed offsets and the outbox.

import GRDB

/// Migrations of the runtime's own tables; named and append-only.
enum RuntimeMigrations {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("runtime-1-offsets-outbox") { db in
            // The next offset to read per partition, written in the same transaction as the
            // state change it led to (docs/architecture.md §6, exactly-once effect).
            try db.create(table: "consumer_offset") { t in
                t.column("topic", .text).notNull()
                t.column("partition", .integer).notNull().check { $0 >= 0 }
                t.column("next_offset", .integer).notNull().check { $0 >= 0 }
                t.primaryKey(["topic", "partition"])
            }
            // Outgoing messages, written in the transaction that produced them and deleted only
            // after the broker acknowledged them (docs/architecture.md §6, transactional outbox).
            try db.create(table: "outbox") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("topic", .text).notNull()
                t.column("key", .blob)
                t.column("value", .blob)
                t.column("headers", .blob)
                t.column("created_at", .double).notNull()
            }
            try db.create(table: "runtime_health") { t in
                t.column("checked_at", .double).notNull()
            }
            try db.execute(sql: "INSERT INTO runtime_health (checked_at) VALUES (0)")
        }
        migrator.registerMigration("runtime-2-outbox-owner-partition") { db in
            // Rows a consumed message caused carry its partition (and offset): only the instance
            // that owns that partition publishes them, through the partition's fenced producer
            // (docs/scaling.md). NULL: the instance's own rows (HTTP access records), sent by it.
            // target_partition: a message sent to a fixed partition (NULL: by its key).
            try db.execute(sql: """
                ALTER TABLE outbox ADD COLUMN owner_partition INTEGER;
                ALTER TABLE outbox ADD COLUMN source_offset INTEGER;
                ALTER TABLE outbox ADD COLUMN target_partition INTEGER;
                CREATE INDEX outbox_by_owner ON outbox (owner_partition, id) WHERE owner_partition IS NOT NULL;
                """)
        }
    }
}
