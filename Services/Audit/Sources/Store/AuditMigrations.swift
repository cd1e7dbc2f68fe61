// The tables of the audit store: the log's records, its subject index, its Merkle tree, its
// signed checkpoints.

import Foundation
import GRDB

/// The audit schema. Nothing updates or deletes a record, a subject row, a tree node or a
/// checkpoint: triggers refuse it, so only someone who edits the file by hand can, and that is
/// what the tree and the published checkpoints expose.
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
        // The hash chain becomes an RFC 9162 Merkle tree over the same records in the same order:
        // record `position` p is leaf `idx` p − 1. The chain's hashes are dropped (they follow
        // from the records), its checkpoints are kept as `audit_chain_checkpoint`, and the tree's
        // stored nodes are computed from the records.
        migrator.registerMigration("audit-2-transparency-log") { db in
            try db.execute(sql: """
                DROP TRIGGER audit_record_is_append_only;
                DROP TRIGGER audit_record_is_never_deleted;
                DROP INDEX audit_record_by_actor;
                DROP INDEX audit_record_by_type;
                ALTER TABLE audit_record RENAME TO audit_chain_record;
                CREATE TABLE audit_record (
                    idx INTEGER PRIMARY KEY,
                    topic TEXT NOT NULL,
                    partition INTEGER NOT NULL,
                    offset INTEGER NOT NULL,
                    event_id TEXT,
                    type TEXT,
                    time TEXT,
                    actor TEXT,
                    purpose TEXT,
                    record BLOB NOT NULL,
                    UNIQUE (topic, partition, offset)
                );
                INSERT INTO audit_record (idx, topic, partition, offset, event_id, type, time, actor, purpose, record)
                SELECT position - 1, topic, partition, offset, event_id, type, time, actor, purpose, record FROM audit_chain_record ORDER BY position;
                DROP TABLE audit_chain_record;
                CREATE INDEX audit_record_by_actor ON audit_record (actor, idx);
                CREATE INDEX audit_record_by_type ON audit_record (type, idx);

                ALTER TABLE audit_subject RENAME TO audit_chain_subject;
                CREATE TABLE audit_subject (subject TEXT NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (subject, idx)) WITHOUT ROWID;
                INSERT INTO audit_subject (subject, idx) SELECT subject, position - 1 FROM audit_chain_subject;
                DROP TABLE audit_chain_subject;

                ALTER TABLE audit_checkpoint RENAME TO audit_chain_checkpoint;

                -- The hashes of complete subtrees whose height is a multiple of StoredTree.stride
                -- (the others are computed from these or from the records when a proof needs them).
                CREATE TABLE audit_tree (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;
                -- Signed notes. outbox_id is the outbox row that publishes the checkpoint on
                -- audit.checkpoints.v1; once the relay has sent and deleted it, the checkpoint is served.
                CREATE TABLE audit_checkpoint (
                    size INTEGER PRIMARY KEY,
                    root BLOB NOT NULL,
                    note TEXT NOT NULL,
                    at TEXT NOT NULL,
                    outbox_id INTEGER
                );
                CREATE INDEX audit_checkpoint_by_outbox ON audit_checkpoint (outbox_id);
                """)
            for table in ["audit_record", "audit_subject", "audit_tree", "audit_checkpoint", "audit_chain_checkpoint"] {
                try db.execute(sql: """
                    CREATE TRIGGER \(table)_is_append_only BEFORE UPDATE ON \(table)
                    BEGIN SELECT RAISE(ABORT, '\(table): the audit log is append-only'); END;
                    CREATE TRIGGER \(table)_is_never_deleted BEFORE DELETE ON \(table)
                    BEGIN SELECT RAISE(ABORT, '\(table): the audit log is append-only'); END;
                    """)
            }
            try StoredTree.build(db)
        }
    }
}
