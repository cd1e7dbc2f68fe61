// The append-only transparency log of audit records: append and verify.

import Crypto
import Foundation
import GRDB
import Kafka
import RegistrySchema

/// Appends records to the log and its Merkle tree, and verifies the whole log (docs/architecture.md §6.1):
/// record *i* (from 0) is leaf *i* of an RFC 9162 tree whose heads are signed as checkpoints.
public struct AuditLedger {
    /// The connection, inside the caller's transaction or read.
    public let db: Database

    /// Access through `db`.
    public init(_ db: Database) {
        self.db = db
    }

    /// The size of the tree at the last checkpoint signed here (0 before the first).
    public func lastCheckpointSize() throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT MAX(size) FROM audit_checkpoint")) ?? 0
    }

    /// Keeps a signed checkpoint, with the outbox row of its event.
    public func record(_ checkpoint: Checkpoint, outboxID: Int64) throws {
        try db.cachedStatement(sql: "INSERT INTO audit_checkpoint (size, root, note, at, outbox_id) VALUES (?, ?, ?, ?, ?)").execute(
            arguments: [checkpoint.size, checkpoint.root, checkpoint.note, checkpoint.at, outboxID])
    }

    /// Appends records unless their (topic, partition, offset) is already recorded, extending
    /// `frontier` (the tree as stored before them) and storing the subtrees they complete.
    /// - Returns: How many were appended.
    @discardableResult
    public func append(_ records: some Sequence<CanonicalRecord>, to frontier: inout TreeFrontier) throws -> Int {
        let tree = StoredTree(db)
        let insert = try db.cachedStatement(sql: """
            INSERT INTO audit_record (idx, topic, partition, offset, event_id, type, time, actor, purpose, record)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (topic, partition, offset) DO NOTHING
            """)
        let subject = try db.cachedStatement(sql: "INSERT OR IGNORE INTO audit_subject (subject, idx) VALUES (?, ?)")
        var appended = 0
        for canonical in records {
            let (record, bytes) = (canonical.facts, canonical.bytes)
            let index = frontier.size
            // The unique (topic, partition, offset) is the dedupe: a repeat inserts nothing and
            // takes no leaf. (A separate look-up first cost a tenth of the audit's CPU.)
            try insert.execute(arguments: [
                index, record.topic, record.partition, record.offset, record.eventId, record.type, record.time, record.actor, record.purpose, bytes,
            ])
            guard db.changesCount == 1 else { continue }
            for value in record.subjects { try subject.execute(arguments: [value, index]) }
            try tree.store(frontier.append(leafHash: MerkleHash.leaf(bytes)))
            appended += 1
        }
        return appended
    }

    /// Appends one record (tests and tools; the processor appends a batch at a time).
    /// - Returns: Whether it was appended.
    @discardableResult
    public func append(_ record: AuditRecord) throws -> Bool {
        var frontier = try StoredTree(db).frontier()
        return try append([CanonicalRecord(record)], to: &frontier) == 1
    }

    /// The outcome of recomputing the log.
    public struct Verification: Sendable, Equatable {
        /// Whether the records, the subject index, the stored tree and every checkpoint agree.
        public let valid: Bool
        /// Records read.
        public let records: Int
        /// The recomputed tree head over all records (base64).
        public let root: String
        /// Checkpoints whose root and signature were checked.
        public let checkpoints: Int
        /// Checkpoints of the former hash chain that were checked.
        public let chainCheckpoints: Int
        /// The index of the first record (or checkpoint size) where something disagrees.
        public let firstBad: Int?
        /// What disagrees, in words, first problem first (at most 20; IINs masked).
        public let problems: [String]
    }

    /// Recomputes the tree from every record and checks it against the stored tree, every
    /// checkpoint (root, note and signature) and every checkpoint of the former chain, and
    /// checks the subject index against the records (every subject of every record has its
    /// row, and there is no other row).
    /// - Parameters:
    ///   - verifier: The checkpoints' key; `nil` checks roots but not signatures.
    ///   - chainKey: The former chain checkpoints' key (by default the verifier's).
    public func verify(verifier: NoteVerifierKey?, chainKey: Curve25519.Signing.PublicKey? = nil) throws -> Verification {
        var report = VerificationReport()
        let checkpoints = try Row.fetchAll(db, sql: "SELECT size, root, note FROM audit_checkpoint ORDER BY size")
        let chainCheckpoints = try Row.fetchAll(db, sql: "SELECT records, head, at, signature FROM audit_chain_checkpoint ORDER BY records").map {
            LegacyChainCheckpoint(records: $0["records"], head: $0["head"], at: $0["at"], signature: $0["signature"])
        }
        var nextCheckpoint = checkpoints.startIndex
        var nextChainCheckpoint = chainCheckpoints.startIndex
        let chainKey = chainKey ?? verifier?.publicKey
        var chain = LegacyChain()
        var frontier = TreeFrontier()
        var subjectRows = 0
        var storedNodes = 0
        let storedNode = try db.cachedStatement(sql: "SELECT hash FROM audit_tree WHERE level = ? AND idx = ?")
        let subjectRow = try db.cachedStatement(sql: "SELECT 1 FROM audit_subject WHERE subject = ? AND idx = ?")
        let subjectsDecoder = JSONDecoder()

        func checkCheckpoints() {
            while nextCheckpoint < checkpoints.endIndex, (checkpoints[nextCheckpoint]["size"] as Int) <= frontier.size {
                let row = checkpoints[nextCheckpoint]
                let size: Int = row["size"]
                if size == frontier.size {
                    report.checkpoint(size: size, storedRoot: row["root"], note: row["note"], treeRoot: frontier.root, verifier: verifier)
                }
                nextCheckpoint += 1
            }
            while nextChainCheckpoint < chainCheckpoints.endIndex, chainCheckpoints[nextChainCheckpoint].records <= chain.records {
                let checkpoint = chainCheckpoints[nextChainCheckpoint]
                if checkpoint.records == chain.records {
                    report.chainCheckpoint(checkpoint, head: chain.head, key: chainKey)
                }
                nextChainCheckpoint += 1
            }
        }

        let lastChainRecords = chainCheckpoints.last?.records ?? 0
        let records = try Row.fetchCursor(db, sql: "SELECT idx, record FROM audit_record ORDER BY idx")
        while let row = try records.next() {
            let index: Int = row["idx"]
            let bytes: Data = row["record"]
            if index != frontier.size {
                report.problem(at: frontier.size, "record \(frontier.size) is missing (the next is \(index)): records were deleted or renumbered")
                break
            }
            if chain.records < lastChainRecords { chain.append(bytes) }
            for subtree in frontier.append(leafHash: MerkleHash.leaf(bytes)) where subtree.level % StoredTree.stride == 0 {
                storedNodes += 1
                let stored = try Data.fetchOne(storedNode, arguments: [subtree.level, subtree.index])
                let first = subtree.index << subtree.level
                // A node over a block already reported differs as a consequence: said once.
                if stored != subtree.hash, !report.hasProblem(inRecordsFrom: first) {
                    // Without leaf hashes in the store, a 16-record block is as close as it gets.
                    let range = "records \(first)...\(first + (1 << subtree.level) - 1)"
                    report.problem(at: first, stored == nil
                        ? "the stored tree node (level \(subtree.level), \(subtree.index)) over \(range) is missing"
                        : "\(range) do not hash to the stored tree node (level \(subtree.level), \(subtree.index))")
                }
            }
            let subjects = (try? subjectsDecoder.decode(RecordSubjects.self, from: bytes).subjects) ?? []
            for subject in subjects {
                subjectRows += 1
                if try Int.fetchOne(subjectRow, arguments: [subject, index]) == nil {
                    report.problem(at: index, "record \(index) names \(IIN.mask(subject)) but the subject index has no row for it")
                }
            }
            checkCheckpoints()
        }
        for row in checkpoints[nextCheckpoint...] {
            let size: Int = row["size"]
            report.problem(at: size, "checkpoint at size \(size) is beyond the \(frontier.size) records: records were removed after it was signed")
        }
        for checkpoint in chainCheckpoints[nextChainCheckpoint...] {
            report.problem(at: checkpoint.records, "chain checkpoint at \(checkpoint.records) records is beyond the \(chain.records) records")
        }
        let indexedRows = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_subject") ?? 0
        if indexedRows != subjectRows {
            report.problem(at: nil, "the subject index has \(indexedRows) rows, the records name \(subjectRows) subjects")
        }
        let treeRows = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_tree") ?? 0
        if treeRows != storedNodes {
            report.problem(at: nil, "the stored tree has \(treeRows) nodes, the records make \(storedNodes)")
        }
        return Verification(
            valid: report.problems.isEmpty, records: frontier.size, root: frontier.root.base64EncodedString(),
            checkpoints: report.checkpoints, chainCheckpoints: report.chainCheckpoints, firstBad: report.firstBad, problems: Array(report.problems.prefix(20)))
    }

    private struct RecordSubjects: Decodable {
        let subjects: [String]
    }
}

/// What ``AuditLedger/verify(verifier:chainKey:)`` found so far.
private struct VerificationReport {
    var problems: [String] = []
    var firstBad: Int?
    /// The start of the last record range reported.
    private var lastRangeStart: Int?
    var checkpoints = 0
    var chainCheckpoints = 0

    mutating func problem(at position: Int?, _ text: String) {
        if let position {
            if firstBad == nil || position < firstBad! { firstBad = position }
            lastRangeStart = position
        }
        problems.append(text)
    }

    /// Whether a problem was reported at or after record `first`.
    func hasProblem(inRecordsFrom first: Int) -> Bool {
        lastRangeStart.map { $0 >= first } ?? false
    }

    mutating func checkpoint(size: Int, storedRoot: Data, note: String, treeRoot: Data, verifier: NoteVerifierKey?) {
        checkpoints += 1
        if storedRoot != treeRoot {
            problem(at: size, "checkpoint at size \(size): its root differs from the tree recomputed from the records")
        }
        guard let verifier else { return }
        guard let signed = try? CheckpointNote(verifying: note, with: verifier) else {
            problem(at: size, "checkpoint at size \(size): the note's signature does not verify with \(verifier.name)+\(verifier.keyHash.hexString)")
            return
        }
        if signed.size != size || signed.root != treeRoot {
            problem(at: size, "checkpoint at size \(size): the signed note says size \(signed.size), root \(signed.root.base64EncodedString())")
        }
    }

    mutating func chainCheckpoint(_ checkpoint: LegacyChainCheckpoint, head: Data, key: Curve25519.Signing.PublicKey?) {
        chainCheckpoints += 1
        if checkpoint.head != head.hexString {
            problem(at: checkpoint.records, "chain checkpoint at \(checkpoint.records) records: its head differs from the chain recomputed from the records")
        }
        if let key, !checkpoint.isSigned(by: key) {
            problem(at: checkpoint.records, "chain checkpoint at \(checkpoint.records) records: the signature does not verify")
        }
    }
}
