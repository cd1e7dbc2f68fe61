// The tables of the audit store: append-only records, a subject index, signed checkpoints.

import GRDB

/// The audit schema. Records are only ever inserted: nothing updates or deletes them.
enum AuditMigrations {
    static func register(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("audit-1") { db in
            try db.execute(sql: """
                CREATE TABLE audit_record (
                    position INTEGER PRIMARY KEY,
                    topic TEXT NOT NULL,
                    partition INTEGER NOT NULL,
                    offset INTEGER NOT NULL,
                    event_id TEXT,
                    type TEXT,
                    time TEXT,
                    actor TEXT,
                    purpose TEXT,
                    record BLOB NOT NULL,
                    hash BLOB NOT NULL,
                    UNIQUE (topic, partition, offset)
                );
                -- A subject's trail is one range scan however large the log grows.
                CREATE TABLE audit_subject (subject TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (subject, position)) WITHOUT ROWID;
                CREATE INDEX audit_record_by_actor ON audit_record (actor, position);
                CREATE INDEX audit_record_by_type ON audit_record (type, position);
                CREATE TABLE audit_checkpoint (
                    records INTEGER PRIMARY KEY,
                    head TEXT NOT NULL,
                    at TEXT NOT NULL,
                    signature TEXT NOT NULL
                );
                CREATE TRIGGER audit_record_is_append_only BEFORE UPDATE ON audit_record
                BEGIN SELECT RAISE(ABORT, 'audit records are never updated'); END;
                CREATE TRIGGER audit_record_is_never_deleted BEFORE DELETE ON audit_record
                BEGIN SELECT RAISE(ABORT, 'audit records are never deleted'); END;
                """)
        }
    }
}
