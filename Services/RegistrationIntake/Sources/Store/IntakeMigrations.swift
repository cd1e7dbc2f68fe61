// The tables of intake's store.

import GRDB
import ServiceRuntime

/// Intake's schema: the shared catalog copy, per-person state, and every submission it has seen.
enum IntakeMigrations {
    static func register(_ migrator: inout DatabaseMigrator) {
        AddressCatalog.registerMigration(&migrator)
        migrator.registerMigration("intake-1") { db in
            // States are stored as JSON: intake always reads and writes them whole.
            try db.execute(sql: """
                CREATE TABLE intake_person (iin TEXT PRIMARY KEY, state BLOB NOT NULL) WITHOUT ROWID;
                CREATE TABLE intake_submission (
                    source TEXT NOT NULL,
                    id TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
                    sequence INTEGER,
                    reasons BLOB,
                    submitter TEXT,
                    PRIMARY KEY (source, id)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("intake-2") { db in
            // Every accepted event as published, in order: the system of record can be
            // republished from here if the broker loses its log (docs/operations.md).
            try db.execute(sql: """
                CREATE TABLE intake_accepted (
                    position INTEGER PRIMARY KEY,
                    iin TEXT NOT NULL,
                    sequence INTEGER NOT NULL,
                    event BLOB NOT NULL,
                    UNIQUE (iin, sequence)
                );
                """)
        }
        migrator.registerMigration("intake-3") { db in
            // Whose submission it is: a status read discloses it (access.logged names the person).
            try db.execute(sql: "ALTER TABLE intake_submission ADD COLUMN iin TEXT")
        }
    }
}
