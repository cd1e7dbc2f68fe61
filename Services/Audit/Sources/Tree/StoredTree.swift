// The audit log's Merkle tree as the store keeps it.

import Foundation
import GRDB

/// The tree over the audit records (leaf *i* = the canonical bytes of record `idx` *i*), read
/// from the store inside the caller's transaction or read.
///
/// Only the complete subtrees whose height is a multiple of ``stride`` are stored
/// (`audit_tree`): about one row per 15 records. Any other subtree is folded from at most
/// `2^(stride-1)` stored hashes, or leaf hashes computed from the records, so a proof at any
/// size costs a few dozen index seeks (measured in `make bench`), and appending a record writes
/// a tree row only every 16 records.
public struct StoredTree: SubtreeHashes {
    /// Heights of the stored subtrees are multiples of this.
    public static let stride = 4

    /// The connection, inside the caller's transaction or read.
    public let db: Database

    /// Access through `db`.
    public init(_ db: Database) {
        self.db = db
    }

    /// The store is missing something the tree needs (records or nodes were deleted).
    public struct Gap: Error, CustomStringConvertible {
        public let description: String
    }

    /// The number of leaves: the records, numbered from 0 without gaps.
    public func size() throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT MAX(idx) FROM audit_record")).map { $0 + 1 } ?? 0
    }

    public func subtree(level: Int, index: Int) throws -> Data {
        let base = level - level % Self.stride
        let first = index << (level - base)
        let count = 1 << (level - base)
        var hashes = base == 0 ? try leafHashes(from: first, count: count) : try storedHashes(level: base, from: first, count: count)
        while hashes.count > 1 {
            hashes = Swift.stride(from: 0, to: hashes.count, by: 2).map { MerkleHash.node(hashes[$0], hashes[$0 + 1]) }
        }
        return hashes[0]
    }

    /// The leaf hashes of records `from ..< from + count`.
    func leafHashes(from: Int, count: Int) throws -> [Data] {
        let rows = try Data.fetchAll(
            db.cachedStatement(sql: "SELECT record FROM audit_record WHERE idx >= ? AND idx < ? ORDER BY idx"), arguments: [from, from + count])
        guard rows.count == count else { throw Gap(description: "records \(from)..<\(from + count): \(rows.count) of \(count) present") }
        return rows.map(MerkleHash.leaf)
    }

    private func storedHashes(level: Int, from: Int, count: Int) throws -> [Data] {
        let rows = try Data.fetchAll(
            db.cachedStatement(sql: "SELECT hash FROM audit_tree WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx"),
            arguments: [level, from, from + count])
        guard rows.count == count else { throw Gap(description: "tree level \(level), nodes \(from)..<\(from + count): \(rows.count) of \(count) present") }
        return rows
    }

    /// The frontier of the tree as stored (what appending continues from).
    public func frontier() throws -> TreeFrontier {
        try TreeFrontier(size: size(), source: self)
    }

    /// Stores those of `subtrees` whose height is a multiple of ``stride``.
    public func store(_ subtrees: [TreeFrontier.Subtree]) throws {
        for subtree in subtrees where subtree.level % Self.stride == 0 {
            try db.cachedStatement(sql: "INSERT INTO audit_tree (level, idx, hash) VALUES (?, ?, ?)").execute(
                arguments: [subtree.level, subtree.index, subtree.hash])
        }
    }

    /// Computes and stores the tree over every record (the migration from the hash chain).
    static func build(_ db: Database) throws {
        let tree = StoredTree(db)
        var frontier = TreeFrontier()
        let records = try Row.fetchCursor(db, sql: "SELECT idx, record FROM audit_record ORDER BY idx")
        while let row = try records.next() {
            let idx: Int = row["idx"]
            guard idx == frontier.size else { throw Gap(description: "record \(frontier.size) is missing (next is \(idx))") }
            try tree.store(frontier.append(leafHash: MerkleHash.leaf(row["record"] as Data)))
        }
    }
}
