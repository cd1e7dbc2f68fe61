// The log on a real SQLite store: the tree as stored equals the definition, proofs from the
// store equal the reference ones, verification finds every kind of tampering, repeats take no
// leaf, and a hash-chained store becomes a tree over the same records.

import Crypto
import Foundation
import GRDB
import Kafka
import RegistrySchema
import ServiceRuntime
import Testing
import TestSupport
@testable import Audit

@Suite struct LedgerTests {
    let store: ServiceStore
    let encoder = RegistryEventEncoder()
    let decoder = RegistryEventDecoder()
    let key = Curve25519.Signing.PrivateKey()

    init() throws {
        store = try ServiceStore(directory: NSTemporaryDirectory() + "audit-" + UUID().uuidString, name: "audit", migrations: AuditService.migrations)
    }

    static let person = IIN(rawValue: "860101300126")!

    var verifier: NoteVerifierKey { try! NoteVerifierKey(name: "test/audit", publicKey: key.publicKey) }

    func signer(every: Int) throws -> CheckpointSigner {
        try CheckpointSigner(key: key, origin: "test/audit", everyRecords: every, topic: "audit.checkpoints.v1")
    }

    /// A mixed stream: accesses, rejections, tombstones and junk.
    func message(_ n: Int) throws -> KafkaConsumerMessage {
        let topic: String
        let value: [UInt8]?
        let key: String
        switch n % 4 {
        case 0:
            topic = "access.logged.v1"
            key = "123456789012"
            value = try encoder.encodeBytes(CloudEvent(id: "a\(n)", source: "/registry/address-index", time: Timestamp(.now), data: AccessLogged(
                service: "address-index", actor: AccessActor(sub: key, role: "agency", org: "School No. 5"), purpose: "school enrolment",
                action: "registration.read", subjects: [Self.person.rawValue], method: "GET", path: "/v1/persons/\(Self.person.rawValue)/registration", status: 200, at: Timestamp(.now))))
        case 1:
            topic = "registration.rejected.v1"
            key = Self.person.rawValue
            value = try encoder.encodeBytes(CloudEvent(id: "r\(n)", source: "/registry/intake", time: Timestamp(.now), data: RegistrationRejected(
                submission: SubmissionReference(source: "/egov/portal", id: "s\(n)"), iin: Self.person.rawValue, reasons: [RejectionReason(code: .unknownAddress, message: "no such rca")])))
        case 2:
            topic = "address.current.v1"
            key = Self.person.rawValue
            value = nil
        default:
            topic = "deadletter.v1"
            key = "junk"
            value = Array("not an event \(n)".utf8)
        }
        return KafkaConsumerMessage(topicPartition: KafkaTopicPartition(topic: topic, partition: Int32(n % 3)), offset: Int64(n), key: Array(key.utf8), value: value, headers: [], timestampMilliseconds: nil)
    }

    /// Appends messages `range` as the processor does (one batch, one transaction, a checkpoint when due).
    func ingest(_ range: Range<Int>, signer: CheckpointSigner? = nil) async throws {
        let records = try CanonicalRecord.records(of: range.map(message), decoder: decoder)
        try await store.write { db in
            var frontier = try StoredTree(db).frontier()
            try AuditLedger(db).append(records, to: &frontier)
            try signer?.checkpointIfDue(db, frontier: frontier, force: false) { try Outbox.append($0, in: db) }
        }
    }

    func verification() async throws -> AuditLedger.Verification {
        try await store.read { try AuditLedger($0).verify(verifier: verifier) }
    }

    /// Runs `tamper` on the store with the append-only triggers out of the way, as someone
    /// with write access to the file would.
    func tamper(_ tamper: @escaping @Sendable (Database) throws -> Void) async throws {
        try await store.write { db in
            let triggers = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'")
            for trigger in triggers { try db.execute(sql: "DROP TRIGGER \(trigger)") }
            try tamper(db)
        }
    }

    @Test func theCanonicalBytesAreFoundationsSortedJSON() throws {
        let foundation = RegistryEventEncoder.makeJSONEncoder()
        for n in 0..<8 {
            let record = AuditRecord(try message(n), decoder: decoder)
            #expect(try record.canonicalBytes() == foundation.encode(record), "message \(n) (\(record.topic))")
        }
    }

    @Test func aBatchBuiltOnSeveralCoresIsTheBatchBuiltInOrder() throws {
        let batch = try (0..<1_000).map(message)
        let inOrder = try CanonicalRecord.records(of: batch, decoder: decoder, parts: 1)
        let split = try CanonicalRecord.records(of: batch, decoder: decoder, parts: 7, minimumPerPart: 1)
        #expect(inOrder.count == batch.count)
        #expect(split.map(\.facts) == inOrder.map(\.facts))
        #expect(split.map(\.bytes) == inOrder.map(\.bytes))
        #expect(split.map(\.facts.offset) == batch.map(\.offset), "the records keep the batch's order")

        // More parts than fit: the last ones are empty, and nothing is lost or repeated.
        let few = Array(batch.prefix(10))
        let uneven = try CanonicalRecord.records(of: few, decoder: decoder, parts: 7, minimumPerPart: 1)
        #expect(uneven.map(\.bytes) == inOrder.prefix(10).map(\.bytes))
    }

    @Test func theStoredTreeIsTheDefinitionsAndItsProofsAreTheReferenceProofs() async throws {
        // Batches of uneven sizes, so subtrees are completed across batch boundaries.
        var start = 0
        for size in [1, 2, 5, 16, 17, 64, 100, 130, 3] {
            try await ingest(start..<start + size)
            start += size
        }
        let total = start
        let leaves = try await store.read { try Data.fetchAll($0, sql: "SELECT record FROM audit_record ORDER BY idx") }
        #expect(leaves.count == total)
        let reference = ReferenceTree(leaves: leaves)
        try await store.read { db in
            let stored = MerkleProofs(StoredTree(db))
            let expected = MerkleProofs(reference)
            for size in 1...total {
                #expect(try stored.root(size: size) == expected.root(size: size))
            }
            for (index, size) in [(0, 1), (0, total), (total - 1, total), (37, 100), (255, 256), (256, 300), (17, 33)] {
                #expect(try stored.inclusionProof(index: index, size: size) == expected.inclusionProof(index: index, size: size), "inclusion \(index) in \(size)")
            }
            for (from, to) in [(1, total), (16, 17), (100, 256), (255, 300), (total, total), (7, 64)] {
                #expect(try stored.consistencyProof(from: from, to: to) == expected.consistencyProof(from: from, to: to), "consistency \(from)→\(to)")
            }
            let rows = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_tree")!
            #expect(rows == total / 16 + total / 256, "only subtrees of 16 and 256 leaves are stored")
        }
        let verified = try await verification()
        #expect(verified.valid && verified.records == total, "\(verified.problems)")
    }

    @Test func checkpointsAreSignedNotesOfTheTreeAndQueuedForPublication() async throws {
        let signer = try signer(every: 100)
        for chunk in stride(from: 0, to: 250, by: 50) { try await ingest(chunk..<chunk + 50, signer: signer) }
        let (checkpoints, outbox) = try await store.read { db in
            (try Row.fetchAll(db, sql: "SELECT size, note, outbox_id FROM audit_checkpoint ORDER BY size").map { row -> (size: Int, note: String, outboxID: Int64) in
                (row["size"], row["note"], row["outbox_id"])
            }, try Outbox.oldest(10, in: db))
        }
        #expect(checkpoints.map(\.size) == [100, 200])
        let root200 = try await store.read { try MerkleProofs(StoredTree($0)).root(size: 200) }
        let note = checkpoints[1].note
        #expect(note == "test/audit\n200\n\(root200.base64EncodedString())\n\n\u{2014} test/audit \(note.split(separator: " ").last!)")
        let parsed = try CheckpointNote(verifying: note, with: verifier)
        #expect(parsed.size == 200 && parsed.root == root200 && parsed.origin == "test/audit")
        let stranger = try NoteVerifierKey(name: "test/audit", publicKey: Curve25519.Signing.PrivateKey().publicKey)
        #expect(throws: SignedNoteError.self) { try CheckpointNote(verifying: note, with: stranger) }

        // Each checkpoint's event waits in the outbox; its row points at it, so it is served only once sent.
        #expect(outbox.map(\.message.topic) == ["audit.checkpoints.v1", "audit.checkpoints.v1"])
        #expect(outbox.map(\.id) == checkpoints.map(\.outboxID))
        let event = try decoder.decode(AuditCheckpoint.self, from: outbox[1].message.value ?? [])
        #expect(event.data == AuditCheckpoint(origin: "test/audit", size: 200, rootHash: root200.base64EncodedString(), note: note))
        #expect(event.id == "test/audit/200" && outbox[1].message.key == Array("test/audit".utf8))
        let audit = AuditStore(store)
        #expect(try await audit.latestPublishedCheckpoint() == nil, "nothing is served before it is published")
        try await store.write { try Outbox.delete(ids: [outbox[0].id], in: $0) }
        #expect(try await audit.latestPublishedCheckpoint()?.size == 100)
        try await store.write { try Outbox.delete(ids: [outbox[1].id], in: $0) }
        #expect(try await audit.latestPublishedCheckpoint()?.size == 200)
        #expect(try await audit.publishedCheckpoints(after: 100, limit: 10).map(\.size) == [200])

        // Python's cryptography verifies the note's Ed25519 signature over its three lines.
        let python = ProcessInfo.processInfo.environment["REGISTRY_PYTHON"] ?? "python3"
        let check = try ChildProcess(executableURL: URL(fileURLWithPath: python), arguments: ["-c", """
            import base64, hashlib, sys
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
            name, keyhash, material = sys.argv[1].split("+", 2)
            key = base64.b64decode(material)
            assert key[0] == 1 and hashlib.sha256(name.encode() + b"\\n" + key).digest()[:4].hex() == keyhash
            text, signatures = sys.argv[2].split("\\n\\n")
            dash, signer, blob = signatures.strip("\\n").split(" ")
            sig = base64.b64decode(blob)
            assert dash == "\\u2014" and signer == name and sig[:4].hex() == keyhash
            Ed25519PublicKey.from_public_bytes(key[1:]).verify(sig[4:], (text + "\\n").encode())
            print("python: note signature verified")
            """, verifier.description, note])
        #expect(await check.waitForExit(timeout: .seconds(30)) == 0, "\(check.output)")
        #expect(check.output.contains("python: note signature verified"), "\(check.output)")
    }

    @Test func aRepeatTakesNoLeaf() async throws {
        try await ingest(0..<10)
        try await ingest(10..<12)
        try await ingest(3..<5)
        let appended = try await store.write { try AuditLedger($0).append(AuditRecord(try message(7), decoder: decoder)) }
        #expect(!appended)
        let indices = try await store.read { try Int.fetchAll($0, sql: "SELECT idx FROM audit_record ORDER BY idx") }
        #expect(indices == Array(0..<12), "repeats take no index")
        #expect(try await verification().valid)
    }

    @Test func aPersonsTrailIsIndexedBySubject() async throws {
        try await ingest(0..<40)
        let trail = try await AuditStore(store).trail(subject: Self.person.rawValue, from: nil, to: nil, after: nil, limit: 100)
        #expect(trail.count == 30, "accesses, rejections and tombstones name the person; junk does not")
        let page = try await AuditStore(store).trail(subject: Self.person.rawValue, from: nil, to: nil, after: trail[9].index, limit: 5)
        #expect(page.map(\.index) == trail[10..<15].map(\.index), "a page starts after its cursor")
        let plan = try await store.read { try String.fetchAll($0, sql: "EXPLAIN QUERY PLAN SELECT idx FROM audit_subject WHERE subject = ?", arguments: ["x"]).joined() }
        #expect(!plan.contains("SCAN"), "a trail is a range seek, not a scan: \(plan)")
    }

    @Test func recordsOfAnActorOrATypeAreARangeOfTheirIndex() async throws {
        try await ingest(0..<40)
        let audit = AuditStore(store)
        let byActor = try await audit.records(actor: "123456789012", type: nil, from: nil, to: nil, after: nil, limit: 100)
        #expect(byActor.map(\.index) == Array(stride(from: 0, to: 40, by: 4)), "the agency's accesses, in log order")
        let byType = try await audit.records(actor: nil, type: "kz.registry.registration.rejected.v1", from: nil, to: nil, after: byActor[2].index, limit: 3)
        #expect(byType.map(\.index) == [9, 13, 17], "a page of one type after its cursor")
        let everything = try await audit.records(actor: nil, type: nil, from: nil, to: nil, after: 35, limit: 100)
        #expect(everything.map(\.index) == [36, 37, 38, 39])
        // An actor (with a time filter beside it) and a type are each one range of their index.
        for (query, index) in [
            (AuditStore.recordsQuery(actor: "x", type: nil, from: "2026-01-01", to: nil, after: 5, limit: 10), "audit_record_by_actor"),
            (AuditStore.recordsQuery(actor: nil, type: "x", from: nil, to: nil, after: 5, limit: 10), "audit_record_by_type"),
        ] {
            let plan = try await store.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + query.sql, arguments: query.arguments).map { $0["detail"] as String }.joined()
            }
            #expect(plan.contains(index), "\(query.sql): \(plan)")
        }
    }

    // MARK: What verification finds

    func signedLog() async throws {
        let signer = try signer(every: 100)
        for chunk in stride(from: 0, to: 1_000, by: 100) { try await ingest(chunk..<chunk + 100, signer: signer) }
        let clean = try await verification()
        #expect(clean.valid && clean.records == 1_000 && clean.checkpoints == 10, "\(clean.problems)")
    }

    @Test func oneFlippedByteIsFoundAtItsIndex() async throws {
        try await signedLog()
        try await tamper { db in
            var bytes = try Data.fetchOne(db, sql: "SELECT record FROM audit_record WHERE idx = 617")!
            bytes[bytes.count / 2] ^= 0x01
            try db.execute(sql: "UPDATE audit_record SET record = ? WHERE idx = 617", arguments: [bytes])
        }
        let broken = try await verification()
        #expect(!broken.valid)
        #expect(broken.firstBad == 608, "the 16-record block holding it: \(broken.problems)")
        #expect(broken.problems.first == "records 608...623 do not hash to the stored tree node (level 4, 38)")
        print("tamper test: one byte flipped in record 617 of 1000 → \(broken.problems.first ?? "")")
    }

    @Test func aDeletedSubjectRowIsFound() async throws {
        try await signedLog()
        try await tamper { db in
            try db.execute(sql: "DELETE FROM audit_subject WHERE subject = ? AND idx = 400", arguments: [Self.person.rawValue])
        }
        let broken = try await verification()
        #expect(!broken.valid && broken.firstBad == 400, "\(broken.problems)")
        #expect(broken.problems.contains { $0.contains("860101****26") && !$0.contains(Self.person.rawValue) }, "the problem names the subject masked: \(broken.problems)")
    }

    @Test func anAddedSubjectRowIsFound() async throws {
        try await signedLog()
        try await tamper { db in try db.execute(sql: "INSERT INTO audit_subject (subject, idx) VALUES ('790512400220', 3)") }
        let broken = try await verification()
        #expect(!broken.valid && broken.problems.contains { $0.contains("subject index has 1001 rows") }, "\(broken.problems)")
    }

    @Test func aDeletedAndRenumberedRecordIsFound() async throws {
        try await signedLog()
        try await tamper { db in
            try db.execute(sql: "DELETE FROM audit_record WHERE idx = 500")
            try db.execute(sql: "UPDATE audit_record SET idx = idx - 1 WHERE idx > 500")
            try db.execute(sql: "DELETE FROM audit_subject WHERE idx = 500")
            try db.execute(sql: "UPDATE audit_subject SET idx = idx - 1 WHERE idx > 500")
        }
        let broken = try await verification()
        #expect(!broken.valid && broken.firstBad == 496, "the 16-record block that held it: \(broken.problems)")
        #expect(!broken.problems.contains { $0.contains("level 8, 1") }, "the node over that block's 256 is not reported again: \(broken.problems)")
    }

    @Test func aTruncatedTailIsFound() async throws {
        try await signedLog()
        try await tamper { db in
            try db.execute(sql: "DELETE FROM audit_record WHERE idx >= 950")
            try db.execute(sql: "DELETE FROM audit_subject WHERE idx >= 950")
        }
        let broken = try await verification()
        #expect(!broken.valid && broken.problems.contains { $0.contains("checkpoint at size 1000 is beyond the 950 records") }, "\(broken.problems)")
    }

    @Test func anEditedTreeNodeIsFound() async throws {
        try await signedLog()
        try await tamper { db in try db.execute(sql: "UPDATE audit_tree SET hash = zeroblob(32) WHERE level = 4 AND idx = 20") }
        let broken = try await verification()
        #expect(!broken.valid && broken.problems.contains { $0 == "records 320...335 do not hash to the stored tree node (level 4, 20)" }, "\(broken.problems)")
    }

    @Test func aCheckpointSignedByAnotherKeyIsFound() async throws {
        try await signedLog()
        let forged = try SignedNote.sign(CheckpointNote(origin: "test/audit", size: 300, root: Data(count: 32)).text, name: "test/audit", key: Curve25519.Signing.PrivateKey())
        try await tamper { db in try db.execute(sql: "UPDATE audit_checkpoint SET note = ? WHERE size = 300", arguments: [forged]) }
        let broken = try await verification()
        #expect(!broken.valid && broken.firstBad == 300, "\(broken.problems)")
    }

    // MARK: From the hash chain

    @Test func aHashChainedStoreBecomesATreeOverTheSameRecords() async throws {
        let path = NSTemporaryDirectory() + "audit-chain-" + UUID().uuidString + ".sqlite"
        let queue = try DatabaseQueue(path: path)
        var migrator = DatabaseMigrator()
        AuditService.migrations(&migrator)
        try migrator.migrate(queue, upTo: "audit-1")
        // A store as the chain kept it: 300 records, 1-based positions, chain hashes, two signed chain checkpoints.
        let records = try CanonicalRecord.records(of: (0..<300).map(message), decoder: decoder)
        try await queue.write { db in
            var chain = LegacyChain()
            for (n, canonical) in records.enumerated() {
                chain.append(canonical.bytes)
                let record = canonical.facts
                try db.execute(sql: """
                    INSERT INTO audit_record (position, topic, partition, offset, event_id, type, time, actor, purpose, record, hash)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [n + 1, record.topic, record.partition, record.offset, record.eventId, record.type, record.time, record.actor, record.purpose, canonical.bytes, chain.head])
                for subject in record.subjects { try db.execute(sql: "INSERT INTO audit_subject (subject, position) VALUES (?, ?)", arguments: [subject, n + 1]) }
                if (n + 1) % 150 == 0 {
                    let at = "2026-11-30T12:00:0\(n / 150)Z"
                    let statement = Data(#"{"at":"\#(at)","head":"\#(chain.head.hexString)","records":\#(n + 1)}"#.utf8)
                    let signature = Ed25519KeyFile.base64URL(try key.signature(for: statement))
                    try db.execute(sql: "INSERT INTO audit_checkpoint (records, head, at, signature) VALUES (?, ?, ?, ?)", arguments: [n + 1, chain.head.hexString, at, signature])
                }
            }
        }
        try queue.close()

        // A restart upgrades it.
        let upgraded = try ServiceStore(directory: (path as NSString).deletingLastPathComponent, name: ((path as NSString).lastPathComponent as NSString).deletingPathExtension, migrations: AuditService.migrations)
        let (leaves, trail, result) = try await upgraded.read { db in
            (try Data.fetchAll(db, sql: "SELECT record FROM audit_record ORDER BY idx"),
             try Int.fetchAll(db, sql: "SELECT idx FROM audit_subject WHERE subject = ? ORDER BY idx", arguments: [Self.person.rawValue]),
             try AuditLedger(db).verify(verifier: verifier))
        }
        #expect(leaves == records.map(\.bytes), "the same records in the same order, nothing lost")
        #expect(trail.first == 0 && trail.count == 225, "the subject index follows the records to their new indices")
        #expect(result.valid && result.records == 300 && result.chainCheckpoints == 2, "\(result.problems)")
        let root = try await upgraded.read { try MerkleProofs(StoredTree($0)).root(size: 300) }
        #expect(root == ReferenceTree(leaves: records.map(\.bytes)).mth(0, 300))
        // The old checkpoints are kept, as history, and still checked.
        try await upgraded.write { db in
            try db.execute(sql: "DROP TRIGGER audit_chain_checkpoint_is_append_only")
            try db.execute(sql: "UPDATE audit_chain_checkpoint SET head = ? WHERE records = 150", arguments: [String(repeating: "0", count: 64)])
        }
        let forgedHistory = try await upgraded.read { try AuditLedger($0).verify(verifier: verifier) }
        #expect(!forgedHistory.valid && forgedHistory.firstBad == 150, "\(forgedHistory.problems)")
    }
}
