// The hash chain on a real SQLite store: verifies, detects one flipped byte exactly, no repeats.

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

    init() throws {
        store = try ServiceStore(directory: NSTemporaryDirectory() + "audit-" + UUID().uuidString, name: "audit", migrations: AuditService.migrations)
    }

    static let person = IIN(rawValue: "860101300126")!

    /// A mixed stream: accesses, accepted registrations, tombstones and junk.
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

    @Test func theCanonicalBytesAreFoundationsSortedJSON() throws {
        let foundation = RegistryEventEncoder.makeJSONEncoder()
        let decoder = RegistryEventDecoder()
        for n in 0..<8 {
            let record = AuditRecord(try message(n), decoder: decoder)
            #expect(try record.canonicalBytes() == foundation.encode(record), "message \(n) (\(record.topic))")
        }
    }

    @Test func aBatchBuiltOnSeveralCoresIsTheBatchBuiltInOrder() throws {
        let decoder = RegistryEventDecoder()
        let batch = try (0..<1_000).map(message)
        let inOrder = try CanonicalRecord.records(of: batch, decoder: decoder, parts: 1)
        let split = try CanonicalRecord.records(of: batch, decoder: decoder, parts: 7, minimumPerPart: 1)
        #expect(inOrder.count == batch.count)
        #expect(split.map(\.record) == inOrder.map(\.record))
        #expect(split.map(\.bytes) == inOrder.map(\.bytes))
        #expect(split.map(\.record.offset) == batch.map(\.offset), "the records keep the batch's order")

        // More parts than fit: the last ones are empty, and nothing is lost or repeated.
        let few = Array(batch.prefix(10))
        let uneven = try CanonicalRecord.records(of: few, decoder: decoder, parts: 7, minimumPerPart: 1)
        #expect(uneven.map(\.bytes) == inOrder.prefix(10).map(\.bytes))
    }

    @Test func theChainVerifiesAndOneFlippedByteIsFoundAtItsPosition() async throws {
        let decoder = RegistryEventDecoder()
        let total = 3_000
        for start in stride(from: 0, to: total, by: 500) {
            let batch = try (start..<start + 500).map(message)
            try await store.write { db in for m in batch { try AuditLedger(db).append(AuditRecord(m, decoder: decoder)) } }
        }
        let clean = try await store.read { try AuditLedger($0).verify() }
        #expect(clean.valid && clean.records == total && clean.firstBroken == nil)

        // A replay of already recorded messages adds nothing.
        let again = try message(7)
        let appended = try await store.write { try AuditLedger($0).append(AuditRecord(again, decoder: decoder)) }
        #expect(!appended)

        // Someone with the file flips one byte of record 1234 (the triggers must go first).
        let target = 1_234
        try await store.write { db in
            #expect(throws: (any Error).self) { try db.execute(sql: "UPDATE audit_record SET topic = 'x' WHERE position = 1") }
        }
        try await store.write { db in
            try db.execute(sql: "DROP TRIGGER audit_record_is_append_only")
            var bytes = try Data.fetchOne(db, sql: "SELECT record FROM audit_record WHERE position = ?", arguments: [target])!
            bytes[bytes.count / 2] ^= 0x01
            try db.execute(sql: "UPDATE audit_record SET record = ? WHERE position = ?", arguments: [bytes, target])
        }
        let broken = try await store.read { try AuditLedger($0).verify() }
        #expect(!broken.valid)
        #expect(broken.firstBroken == target)
        #expect(broken.records == target - 1)
        print("tamper test: \(total) records verify; one byte flipped in record \(target) → verification fails at position \(broken.firstBroken ?? -1)")
    }

    @Test func aRepeatInsideABatchLeavesTheChainWhole() async throws {
        // As AuditProcessor does: one ledger for the whole batch, so its remembered tip is used.
        let decoder = RegistryEventDecoder()
        let first = try (0..<10).map(message)
        let second = try [message(3), message(10), message(4), message(11)]
        let appended = try await store.write { db -> [Bool] in
            let ledger = AuditLedger(db)
            return try (first + second).map { try ledger.append(AuditRecord($0, decoder: decoder)) }
        }
        #expect(appended == Array(repeating: true, count: 10) + [false, true, false, true])
        let positions = try await store.read { try Int.fetchAll($0, sql: "SELECT position FROM audit_record ORDER BY position") }
        #expect(positions == Array(1...12), "a repeat takes no position")
        let verification = try await store.read { try AuditLedger($0).verify() }
        #expect(verification.valid && verification.records == 12)
    }

    @Test func aPersonsTrailIsIndexedBySubject() async throws {
        let decoder = RegistryEventDecoder()
        let batch = try (0..<40).map(message)
        try await store.write { db in for m in batch { try AuditLedger(db).append(AuditRecord(m, decoder: decoder)) } }
        let trail = try await store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM audit_subject WHERE subject = ?", arguments: [Self.person.rawValue]) }
        #expect(trail == 30, "accesses, rejections and tombstones name the person; junk does not")
        let plan = try await store.read { try String.fetchAll($0, sql: "EXPLAIN QUERY PLAN SELECT position FROM audit_subject WHERE subject = ?", arguments: ["x"]).joined() }
        #expect(!plan.contains("SCAN"), "a trail is a range seek, not a scan: \(plan)")
    }

    @Test func checkpointsAreSignedAndVerifyIndependently() async throws {
        let key = Curve25519.Signing.PrivateKey()
        let signer = CheckpointSigner(key: key, everyRecords: 100)
        let decoder = RegistryEventDecoder()
        let batch = try (0..<250).map(message)
        var made: [Checkpoint] = []
        for chunk in stride(from: 0, to: 250, by: 50) {
            let part = Array(batch[chunk..<chunk + 50])
            if let checkpoint = try await store.write({ db -> Checkpoint? in
                for m in part { try AuditLedger(db).append(AuditRecord(m, decoder: decoder)) }
                return try signer.checkpointIfDue(db, force: false)
            }) { made.append(checkpoint) }
        }
        #expect(made.map(\.records) == [100, 200])
        #expect(made.allSatisfy(signer.isGenuine))
        let head = try await store.read { try AuditLedger($0).verify() }
        #expect(made.last?.records == 200 && head.records == 250)

        let python = ProcessInfo.processInfo.environment["REGISTRY_PYTHON"] ?? "python3"
        let jwk = String(decoding: try JSONSerialization.data(withJSONObject: signer.publicJWK), as: UTF8.self)
        let statement = String(decoding: Checkpoint.statement(records: made[1].records, head: made[1].head, at: made[1].at), as: UTF8.self)
        let check = try ChildProcess(executableURL: URL(fileURLWithPath: python), arguments: ["-c", """
            import base64, json, sys
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
            b = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
            Ed25519PublicKey.from_public_bytes(b(json.loads(sys.argv[1])["x"])).verify(b(sys.argv[3]), sys.argv[2].encode())
            """, jwk, statement, made[1].signature])
        #expect(await check.waitForExit(timeout: .seconds(30)) == 0, "Python's cryptography verifies the checkpoint signature: \(check.output)")
    }
}
