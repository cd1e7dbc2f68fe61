// The hash-chained, append-only ledger of audit records.

import Crypto
import Foundation
import GRDB
import Kafka
import RegistrySchema

/// Appends records to the chain and verifies it (DESIGN §6): each record's
/// `hash = SHA-256(previous hash ‖ canonical record bytes)`, the first one's previous hash being
/// 32 zero bytes.
public struct AuditLedger {
    /// The connection, inside the caller's transaction or read.
    public let db: Database
    /// The head as this ledger last wrote it: appends of one batch read it once, not per record.
    private let tip = Tip()

    private final class Tip {
        var head: (records: Int, hash: Data)?
    }

    /// Access through `db`. Use one ledger within one transaction only.
    public init(_ db: Database) {
        self.db = db
    }

    /// The previous hash of the first record.
    public static let genesis = Data(repeating: 0, count: 32)

    /// The number of records and the hash of the last one.
    public func head() throws -> (records: Int, hash: Data) {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT position, hash FROM audit_record ORDER BY position DESC LIMIT 1")) else {
            return (0, Self.genesis)
        }
        return (row["position"], row["hash"])
    }

    /// Appends a record unless its (topic, partition, offset) is already recorded.
    /// - Returns: Whether it was appended.
    @discardableResult
    public func append(_ record: AuditRecord) throws -> Bool {
        try append(CanonicalRecord(record))
    }

    /// Appends a record whose canonical bytes are already made, unless its (topic, partition,
    /// offset) is already recorded.
    /// - Returns: Whether it was appended.
    @discardableResult
    public func append(_ canonical: CanonicalRecord) throws -> Bool {
        let (record, bytes) = (canonical.record, canonical.bytes)
        let (count, previous) = try tip.head ?? head()
        let hash = Self.chain(previous, bytes)
        let position = count + 1
        // The unique (topic, partition, offset) is the dedupe: a repeat inserts nothing, and
        // the tip stays where it was. (A separate look-up first cost a tenth of the audit's CPU.)
        try db.cachedStatement(sql: """
            INSERT INTO audit_record (position, topic, partition, offset, event_id, type, time, actor, purpose, record, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (topic, partition, offset) DO NOTHING
            """).execute(arguments: [
                position, record.topic, record.partition, record.offset, record.eventId, record.type, record.time,
                record.actor?.sub, record.purpose, bytes, hash,
            ])
        guard db.changesCount == 1 else { return false }
        let subject = try db.cachedStatement(sql: "INSERT OR IGNORE INTO audit_subject (subject, position) VALUES (?, ?)")
        for value in record.subjects { try subject.execute(arguments: [value, position]) }
        tip.head = (position, hash)
        return true
    }

    static func chain(_ previous: Data, _ bytes: Data) -> Data {
        var hasher = SHA256()
        hasher.update(data: previous)
        hasher.update(data: bytes)
        return Data(hasher.finalize())
    }

    /// The outcome of recomputing the chain.
    public struct Verification: Sendable, Equatable {
        /// Whether every stored hash equals the recomputed one.
        public let valid: Bool
        /// Records checked.
        public let records: Int
        /// The recomputed head (hex), up to the first broken record.
        public let head: String
        /// The position of the first record whose hash does not match, if any.
        public let firstBroken: Int?
    }

    /// Recomputes the chain from the first record.
    public func verify() throws -> Verification {
        var previous = Self.genesis
        var position = 0
        let cursor = try Row.fetchCursor(db, sql: "SELECT position, record, hash FROM audit_record ORDER BY position")
        while let row = try cursor.next() {
            position += 1
            let stored: Int = row["position"]
            let expected = Self.chain(previous, row["record"])
            guard stored == position, expected == (row["hash"] as Data) else {
                return Verification(valid: false, records: position - 1, head: previous.hex, firstBroken: position)
            }
            previous = expected
        }
        return Verification(valid: true, records: position, head: previous.hex, firstBroken: nil)
    }
}

extension Data {
    /// Lower-case hexadecimal.
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}
