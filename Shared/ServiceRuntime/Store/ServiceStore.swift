// One SQLite store per service (STYLE: "connect to any database file only once").

import Foundation
import GRDB
import Logging

/// A service's SQLite database: opened once under `DATA_DIR`, in WAL mode with a busy timeout
/// and foreign keys on, migrated at start (the runtime's tables first, then the service's),
/// closed at shutdown. Every invariant-bearing change goes through one ``write(_:)`` transaction.
public final class ServiceStore: Sendable {
    /// The database pool (one writer, concurrent readers).
    public let pool: DatabasePool
    /// The database file.
    public let path: String

    /// Opens (creating if needed) `<directory>/<name>.sqlite` and runs the migrations.
    /// - Parameters:
    ///   - directory: The service's `DATA_DIR`; created with mode 0700 if missing.
    ///   - name: The file's base name, usually the service name.
    ///   - migrations: The service's own migrations, appended after the runtime's.
    /// - Throws: A ``StoreError`` naming the path when the directory or database cannot be used.
    public init(directory: String, name: String, migrations: (inout DatabaseMigrator) -> Void = { _ in }) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StoreError(path: directory, problem: "cannot create the data directory: \(error.localizedDescription)")
        }
        path = (directory as NSString).appendingPathComponent("\(name).sqlite")
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.foreignKeysEnabled = true
        configuration.label = name
        configuration.prepareDatabase { db in
            // WAL (DatabasePool's default) with NORMAL sync: durable at each checkpoint, and a
            // committed transaction survives a process crash (not an OS crash before fsync).
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // 16 MiB of page cache for the writer (SQLite's default is 2,000 KiB): the B-tree pages
            // every message touches stay in the process instead of being read from the OS on
            // each transaction (`make bench`'s profiles showed a tenth of intake's CPU in pread).
            // The readers (up to five) keep the default: with 16 MiB each, address-index's
            // lookups took it past 150 MB.
            try db.execute(sql: db.configuration.readonly ? "PRAGMA cache_size = -2000" : "PRAGMA cache_size = -16384")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 8000")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            var migrator = DatabaseMigrator()
            RuntimeMigrations.register(in: &migrator)
            migrations(&migrator)
            try migrator.migrate(pool)
        } catch {
            throw StoreError(path: path, problem: "\(error)")
        }
    }

    /// Runs `updates` in one write transaction.
    public func write<T: Sendable>(_ updates: @Sendable (Database) throws -> T) async throws -> T {
        try await pool.write(updates)
    }

    /// Runs `value` on a read-only snapshot.
    public func read<T: Sendable>(_ value: @Sendable (Database) throws -> T) async throws -> T {
        try await pool.read(value)
    }

    /// Runs `value`, which executes exactly one SQL statement, on a reader without a
    /// transaction around it: one statement reads one snapshot by itself, and BEGIN and COMMIT
    /// would be two statements more, each prepared anew (about 7 % of address-index's CPU
    /// during wrk, perf, 2026-12-02). Anything that runs two statements needs ``read(_:)`` to
    /// see one state of the store.
    public func readOneStatement<T: Sendable>(_ value: @Sendable (Database) throws -> T) async throws -> T {
        try await pool.unsafeRead(value)
    }

    /// Checks that the store answers a trivial query and can be written.
    public func isHealthy() async -> Bool {
        (try? await pool.write { db in try db.execute(sql: "UPDATE runtime_health SET checked_at = ?", arguments: [Date().timeIntervalSince1970]) }) != nil
    }

    /// Deletes a service's database files (`<name>.sqlite` and its WAL and shared-memory files),
    /// leaving anything else in the directory (e.g. keys) alone.
    /// - Returns: The files removed.
    public static func remove(directory: String, name: String) -> [String] {
        let base = (directory as NSString).appendingPathComponent("\(name).sqlite")
        return [base, base + "-wal", base + "-shm"].filter { (try? FileManager.default.removeItem(atPath: $0)) != nil }
    }

    /// Closes the database (after the last write); further use throws.
    public func close() throws {
        try pool.close()
    }

    /// SQLite's own check of a database file (`PRAGMA integrity_check`): "ok", or what is wrong.
    /// Static, for a file no service has open (a backup's copy).
    public static func integrityCheck(_ db: Database) throws -> String {
        try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "no answer"
    }
}

/// The store cannot be opened or used.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    /// The file or directory concerned.
    public let path: String
    /// What went wrong.
    public let problem: String

    public var description: String { "store \(path): \(problem)" }
}
