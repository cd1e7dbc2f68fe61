// What the audit's routes and tools read from its store: the one home of its queries.

import Foundation
import GRDB
import RegistrySchema
import ServiceRuntime

/// The audit store's reads (trails, record pages, entries, proofs, checkpoints, verification).
/// Appends go through ``AuditLedger`` inside the processing engine's transaction.
public struct AuditStore: Sendable {
    /// The service's store.
    public let store: ServiceStore

    /// Reads from `store`.
    public init(_ store: ServiceStore) {
        self.store = store
    }

    /// One record of the log: its leaf index, its canonical bytes and what they say.
    public struct Entry: Sendable {
        /// The leaf index (from 0).
        public let index: Int
        /// The canonical bytes (the leaf).
        public let leaf: Data
        /// The record.
        public let record: AuditRecord
    }

    /// A range of the log that a request asked for is not there.
    public struct BeyondTheTree: Error, CustomStringConvertible {
        public let description: String
    }

    /// The records that name `subject`, oldest first, after leaf `cursor`, at most `limit`.
    /// `from`/`to` bound the records' times (RFC 3339 text compares in time order).
    public func trail(subject: String, from: String?, to: String?, after cursor: Int?, limit: Int) async throws -> [Entry] {
        try await store.read { db in
            try Self.entries(db.cachedStatement(sql: """
                SELECT r.idx, r.record FROM audit_subject s JOIN audit_record r ON r.idx = s.idx
                WHERE s.subject = ? AND s.idx > ? AND (? IS NULL OR r.time >= ?) AND (? IS NULL OR r.time < ?) ORDER BY s.idx LIMIT ?
                """), [subject, cursor ?? -1, from, from, to, to, limit])
        }
    }

    /// Records in log order after leaf `cursor`, filtered by actor, type and time, at most `limit`.
    public func records(actor: String?, type: String?, from: String?, to: String?, after cursor: Int?, limit: Int) async throws -> [Entry] {
        let query = Self.recordsQuery(actor: actor, type: type, from: from, to: to, after: cursor, limit: limit)
        return try await store.read { db in try Self.entries(db.cachedStatement(sql: query.sql), query.arguments) }
    }

    /// The query of ``records(actor:type:from:to:after:limit:)``. Only the filters given are in
    /// its WHERE, so that an actor's or a type's records are one range of
    /// `audit_record_by_actor` or `_by_type`: written as `? IS NULL OR actor = ?`, no index could
    /// serve it, and a rare actor's records were found by reading the log from the cursor on.
    static func recordsQuery(
        actor: String?, type: String?, from: String?, to: String?, after cursor: Int?, limit: Int
    ) -> (sql: String, arguments: StatementArguments) {
        var conditions = ["idx > ?"]
        var arguments: StatementArguments = [cursor ?? -1]
        for (condition, value) in [("actor = ?", actor), ("type = ?", type), ("time >= ?", from), ("time < ?", to)] {
            guard let value else { continue }
            conditions.append(condition)
            arguments += [value]
        }
        arguments += [limit]
        return ("SELECT idx, record FROM audit_record WHERE \(conditions.joined(separator: " AND ")) ORDER BY idx LIMIT ?", arguments)
    }

    /// Record `index`, if the log has it.
    public func entry(_ index: Int) async throws -> Entry? {
        try await store.read { db in
            try Self.entries(db.cachedStatement(sql: "SELECT idx, record FROM audit_record WHERE idx = ?"), [index]).first
        }
    }

    /// The number of records (leaves).
    public func size() async throws -> Int {
        try await store.read { try StoredTree($0).size() }
    }

    /// The inclusion proof of leaf `index` in the tree of `size` leaves.
    /// - Throws: ``BeyondTheTree`` when `index` ≥ `size` or `size` exceeds the log.
    public func inclusionProof(index: Int, size: Int) async throws -> [Data] {
        try await store.read { db in
            let tree = StoredTree(db)
            let leaves = try tree.size()
            guard index >= 0, size > 0, index < size, size <= leaves else {
                throw BeyondTheTree(description: "index must be below size, and size at most the tree's \(leaves) leaves (index \(index), size \(size))")
            }
            return try MerkleProofs(tree).inclusionProof(index: index, size: size)
        }
    }

    /// The consistency proof from the tree of `from` leaves to the tree of `to` leaves.
    /// - Throws: ``BeyondTheTree`` unless 1 ≤ `from` ≤ `to` ≤ the log's size.
    public func consistencyProof(from: Int, to: Int) async throws -> [Data] {
        try await store.read { db in
            let tree = StoredTree(db)
            let leaves = try tree.size()
            guard from >= 1, from <= to, to <= leaves else {
                throw BeyondTheTree(description: "from must be at least 1 and at most to, and to at most the tree's \(leaves) leaves (from \(from), to \(to))")
            }
            return try MerkleProofs(tree).consistencyProof(from: from, to: to)
        }
    }

    /// Published checkpoints (their event acknowledged by the broker) with sizes above
    /// `cursor`, oldest first, at most `limit`.
    public func publishedCheckpoints(after cursor: Int?, limit: Int) async throws -> [Checkpoint] {
        try await store.read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT size, root, note, at FROM audit_checkpoint c
                WHERE size > ? AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.id = c.outbox_id) ORDER BY size LIMIT ?
                """), arguments: [cursor ?? 0, limit]).map(Self.checkpoint)
        }
    }

    /// The newest published checkpoint.
    public func latestPublishedCheckpoint() async throws -> Checkpoint? {
        try await store.read { db in
            try Row.fetchOne(db.cachedStatement(sql: """
                SELECT size, root, note, at FROM audit_checkpoint c
                WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.id = c.outbox_id) ORDER BY size DESC LIMIT 1
                """)).map(Self.checkpoint)
        }
    }

    /// Recomputes the whole log (see ``AuditLedger/verify(verifier:chainKey:)``).
    public func verify(verifier: NoteVerifierKey?) async throws -> AuditLedger.Verification {
        try await store.read { try AuditLedger($0).verify(verifier: verifier) }
    }

    private static func checkpoint(_ row: Row) -> Checkpoint {
        Checkpoint(size: row["size"], root: row["root"], note: row["note"], at: row["at"])
    }

    private static func entries(_ statement: Statement, _ arguments: StatementArguments) throws -> [Entry] {
        let decoder = JSONDecoder()
        return try Row.fetchAll(statement, arguments: arguments).map { row in
            let leaf: Data = row["record"]
            return Entry(index: row["idx"], leaf: leaf, record: try decoder.decode(AuditRecord.self, from: leaf))
        }
    }
}
