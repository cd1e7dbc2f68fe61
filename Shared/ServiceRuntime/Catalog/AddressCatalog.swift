// A service's copy of address.catalog.v1, in its own store.

import Foundation
import GRDB
import RegistrySchema

/// The `address_catalog` table: the dwellings a service knows, as the register last described
/// them. Intake, address-index and notification each keep one (docs/architecture.md §2).
public struct AddressCatalog {
    /// The connection, inside the caller's transaction or read.
    public let db: Database
    private var encoder: SortedJSONEncoder { StoredJSON.encoder }
    private var decoder: JSONDecoder { StoredJSON.decoder }

    /// Access through `db`.
    public init(_ db: Database) {
        self.db = db
    }

    /// Adds the table (register once, before the service's own migrations that refer to it).
    public static func registerMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("address-catalog-1") { db in
            // Entries are stored as JSON: they are always read and written whole.
            try db.execute(sql: "CREATE TABLE address_catalog (rca TEXT PRIMARY KEY, entry BLOB NOT NULL) WITHOUT ROWID")
        }
    }

    /// The entry of `rca`, if known (retired ones included).
    public func entry(_ rca: RCA) throws -> CatalogEntry? {
        let statement = try db.cachedStatement(sql: "SELECT entry FROM address_catalog WHERE rca = ?")
        return try Data.fetchOne(statement, arguments: [rca]).map { try decoder.decodeReadingFast(CatalogEntry.self, from: $0) }
    }

    /// Adds or replaces an entry.
    public func save(_ entry: CatalogEntry) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO address_catalog (rca, entry) VALUES (?, ?) ON CONFLICT (rca) DO UPDATE SET entry = excluded.entry
            """)
        try statement.execute(arguments: [entry.address.rca, try encoder.encode(entry)])
    }

    /// Marks an entry retired (an RCA never seen stays unknown).
    public func retire(_ rca: RCA) throws {
        guard var known = try entry(rca) else { return }
        known.retired = true
        try save(known)
    }

    /// The number of entries.
    public func count() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM address_catalog") ?? 0
    }
}
