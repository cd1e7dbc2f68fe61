// The tables of address-index's store.

import GRDB
import ServiceRuntime

/// address-index's schema: registration periods, people, events waiting for a gap, occupancy.
enum IndexMigrations {
    static func register(_ migrator: inout DatabaseMigrator) {
        AddressCatalog.registerMigration(&migrator)
        migrator.registerMigration("index-1") { db in
            // Dates are 'YYYY-MM-DD' text: their order is the calendar's. valid_to is exclusive.
            try db.execute(sql: """
                CREATE TABLE index_person (
                    iin TEXT PRIMARY KEY,
                    sequence INTEGER NOT NULL,
                    surname TEXT NOT NULL,
                    given_name TEXT NOT NULL,
                    open_permanent INTEGER,
                    open_temporary INTEGER
                ) WITHOUT ROWID;
                CREATE TABLE index_period (
                    iin TEXT NOT NULL,
                    sequence INTEGER NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('permanent', 'temporary')),
                    rca TEXT NOT NULL,
                    address BLOB NOT NULL,
                    valid_from TEXT NOT NULL,
                    valid_to TEXT,
                    ends_by_expiry INTEGER NOT NULL DEFAULT 0,
                    end_announced INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (iin, sequence)
                ) WITHOUT ROWID;
                CREATE INDEX index_period_by_rca ON index_period (rca, valid_to);
                CREATE INDEX index_period_expiring ON index_period (ends_by_expiry, end_announced, valid_to);
                CREATE TABLE index_pending (iin TEXT NOT NULL, sequence INTEGER NOT NULL, event BLOB NOT NULL, PRIMARY KEY (iin, sequence)) WITHOUT ROWID;
                CREATE TABLE index_occupancy (rca TEXT PRIMARY KEY, alerted INTEGER NOT NULL) WITHOUT ROWID;
                """)
        }
    }
}
