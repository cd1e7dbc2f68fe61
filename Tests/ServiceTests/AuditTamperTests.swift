// Someone with write access to the audit's files tampers with them in every way the transparency
// log exists to expose; each is caught, by `registryctl audit verify`, by an independent Python
// check, or (when the insider also holds the signing key and re-signs) by a witness that kept an
// earlier checkpoint. A clean log verifies everywhere.

import Crypto
import Foundation
import GRDB
import Kafka
import RegistrySchema
import ServiceRuntime
import Testing
import TestSupport
@testable import Audit

@Suite(.serialized, .timeLimit(.minutes(10))) struct AuditTamperTests {
    static let person = IIN(rawValue: "860101300126")!
    static let records = 600

    /// A real audit process that recorded `records` messages from the broker and published a
    /// checkpoint every 100 on `audit.checkpoints.v1`, then stopped; and a witness that followed
    /// those checkpoints.
    struct Fixture {
        let topics: TopicNames
        let directory: String
        let keyFile: String
        let verifier: NoteVerifierKey
        let witnessState: String
        let key: Curve25519.Signing.PrivateKey

        var store: String { directory + "/audit.sqlite" }
    }

    func prepare() async throws -> Fixture {
        let topics = TopicNames(prefix: TestBroker.uniqueName("tamper") + ".")
        try await TestBroker.createTopics(RegistryTopic.allCases.map(topics.name(for:)), partitions: 3)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try TestBroker.clientConfiguration()), logger: TestBroker.logger)
        let encoder = RegistryEventEncoder()
        let messages = try (0..<Self.records).map { n in
            KafkaProducerMessage(topic: topics.name(for: .accessLogged), key: "123456789012", value: try encoder.encodeBytes(CloudEvent(
                id: "tamper-\(n)", source: "/registry/address-index", time: Timestamp(.now), data: AccessLogged(
                    service: "address-index", actor: AccessActor(sub: "123456789012", role: "agency", org: "School No. 5"), purpose: "school enrolment",
                    action: "registration.read", subjects: [n % 3 == 0 ? Self.person.rawValue : "790512400220"], method: "GET", path: "/v1/persons/x/registration",
                    status: 200, at: Timestamp(.now)))))
        }
        let key = try Curve25519.Signing.PrivateKey(pemRepresentation: TestSecrets.auditSigningKey)
        let fixture = Fixture(
            topics: topics, directory: NSTemporaryDirectory() + "tamper-" + UUID().uuidString, keyFile: try TestSecrets.auditSigningKeyFile(),
            verifier: try NoteVerifierKey(name: "address-registry/audit", publicKey: key.publicKey),
            witnessState: NSTemporaryDirectory() + "witness-" + UUID().uuidString + "/state.json", key: key)
        let (audit, url) = try await serve(fixture.directory, fixture)
        // A hundred at a time, each hundred checkpointed before the next is sent: six checkpoints.
        for hundred in stride(from: 100, through: Self.records, by: 100) {
            _ = try await producer.send(Array(messages[hundred - 100..<hundred]))
            try await waitUntil("the audit published its checkpoint of \(hundred) records", timeout: .seconds(120), interval: .milliseconds(200)) {
                await httpGet(url + "/v1/audit/checkpoint")?.body.hasPrefix("address-registry/audit\n\(hundred)\n") == true
            }
        }
        // The witness follows the topic: one line per checkpoint, each consistent with the one before.
        let witness = try await runWitness(fixture, url: url, poll: false)
        #expect(witness.status == 0, "\(witness.output)")
        #expect(witness.output.split(separator: "\n").filter { $0.hasPrefix("verified address-registry/audit size ") }.count == Self.records / 100, "\(witness.output)")
        audit.signal(SIGTERM)
        #expect(await audit.waitForExit(timeout: .seconds(20)) == 0, "\(audit.output)")
        return fixture
    }

    func environment(_ directory: String, _ fixture: Fixture) throws -> [String: String] {
        [
            "DATA_DIR": directory, "HTTP_PORT": "\(try ChildProcess.freePort())", "REGISTRY_TOPIC_PREFIX": fixture.topics.prefix,
            "REGISTRY_JWT_SECRET": TestSecrets.jwt, "LOG_LEVEL": "warning", "AUDIT_CHECKPOINT_RECORDS": "100", "AUDIT_CHECKPOINT_SECONDS": "3600",
            "AUDIT_SIGNING_KEY_FILE": fixture.keyFile,
        ]
    }

    /// Starts an audit process on `directory`; returns it and its URL once it answers.
    func serve(_ directory: String, _ fixture: Fixture) async throws -> (ChildProcess, String) {
        let environment = try environment(directory, fixture)
        let url = "http://127.0.0.1:\(environment["HTTP_PORT"]!)"
        let audit = try ChildProcess("audit", environment: environment)
        try await waitUntil("audit answers", timeout: .seconds(30)) { await httpGet(url + "/health/live")?.status == 200 }
        return (audit, url)
    }

    func runWitness(_ fixture: Fixture, url: String, poll: Bool, state: String? = nil) async throws -> (status: Int32?, output: String) {
        var arguments = ["audit", "witness", "--once", "--url", url, "--verifier", fixture.verifier.description, "--state", state ?? fixture.witnessState]
        if poll { arguments.append("--poll") }
        let witness = try ChildProcess("registryctl", arguments: arguments, environment: ["REGISTRY_TOPIC_PREFIX": fixture.topics.prefix])
        return (await witness.waitForExit(timeout: .seconds(60)), witness.output)
    }

    /// A copy of the audit's store (and of the witness's state) for one scenario.
    func copy(_ fixture: Fixture) throws -> (directory: String, witnessState: String) {
        let directory = NSTemporaryDirectory() + "tampered-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: fixture.store + suffix) {
            try FileManager.default.copyItem(atPath: fixture.store + suffix, toPath: directory + "/audit.sqlite" + suffix)
        }
        let state = directory + "-witness.json"
        try FileManager.default.copyItem(atPath: fixture.witnessState, toPath: state)
        return (directory, state)
    }

    /// Edits the store as someone with the file would: the append-only triggers go first.
    func tamper(_ directory: String, _ edit: (Database) throws -> Void) throws {
        let queue = try DatabaseQueue(path: directory + "/audit.sqlite")
        try queue.write { db in
            for trigger in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'") { try db.execute(sql: "DROP TRIGGER \(trigger)") }
            try edit(db)
        }
        try queue.close()
    }

    /// Deletes record `index` and its subject rows and moves every later record down by one.
    func deleteAndRenumber(_ db: Database, index: Int) throws {
        try db.execute(sql: "DELETE FROM audit_record WHERE idx = ?", arguments: [index])
        try db.execute(sql: "UPDATE audit_record SET idx = idx - 1 WHERE idx > ?", arguments: [index])
        try db.execute(sql: "DELETE FROM audit_subject WHERE idx = ?", arguments: [index])
        try db.execute(sql: "UPDATE audit_subject SET idx = idx - 1 WHERE idx > ?", arguments: [index])
    }

    /// What an insider holding the stolen key does after editing records: recompute the tree and
    /// re-sign every checkpoint, so that the store is consistent with itself again.
    func rehashAndResign(_ db: Database, _ fixture: Fixture) throws {
        try db.execute(sql: "DELETE FROM audit_tree")
        try StoredTree.build(db)
        let size = try StoredTree(db).size()
        try db.execute(sql: "DELETE FROM audit_checkpoint WHERE size > ?", arguments: [size])
        for checkpointSize in try Int.fetchAll(db, sql: "SELECT size FROM audit_checkpoint") {
            let root = try MerkleProofs(StoredTree(db)).root(size: checkpointSize)
            let note = try SignedNote.sign(CheckpointNote(origin: fixture.verifier.name, size: checkpointSize, root: root).text, name: fixture.verifier.name, key: fixture.key)
            try db.execute(sql: "UPDATE audit_checkpoint SET root = ?, note = ? WHERE size = ?", arguments: [root, note, checkpointSize])
        }
    }

    func verify(_ directory: String, _ fixture: Fixture) async throws -> (status: Int32?, output: String) {
        let verify = try ChildProcess("registryctl", arguments: ["audit", "verify", "--store", directory + "/audit.sqlite", "--verifier", fixture.verifier.description])
        return (await verify.waitForExit(timeout: .seconds(60)), verify.output)
    }

    func python(_ directory: String, _ fixture: Fixture) async throws -> (status: Int32?, output: String) {
        try await IndependentAuditCheck.run(store: directory + "/audit.sqlite", verifier: fixture.verifier)
    }

    /// Serves the tampered copy and lets the witness (with its state from before) poll it.
    func witness(_ directory: String, state: String, _ fixture: Fixture) async throws -> (status: Int32?, output: String) {
        let (audit, url) = try await serve(directory, fixture)
        let result = try await runWitness(fixture, url: url, poll: true, state: state)
        await audit.kill()
        return result
    }

    @Test func everyTamperingIsDetectedAndACleanLogVerifies() async throws {
        try await FaultRow.measure(
            "audit tampered with by an insider", injected: "7 edits of a copy of the store, 2 re-signed with the stolen key", countsMessages: false
        ) { row in try await tamperings(row) }
    }

    func tamperings(_ row: FaultRow) async throws -> String {
        let fixture = try await prepare()
        var lines: [String] = []

        // A clean log: valid for registryctl, Python and the witness.
        let clean = try copy(fixture)
        let (cleanVerify, cleanPython, cleanWitness) = (
            try await verify(clean.directory, fixture), try await python(clean.directory, fixture), try await witness(clean.directory, state: clean.witnessState, fixture))
        #expect(cleanVerify.status == 0 && cleanVerify.output.hasSuffix("valid\n"), "\(cleanVerify.output)")
        #expect(cleanPython.status == 0 && cleanPython.output.contains("\(Self.records) records, 6 checkpoints (signatures checked)"), "\(cleanPython.output)")
        #expect(cleanWitness.status == 0 && cleanWitness.output.contains("already verified: size \(Self.records)"), "\(cleanWitness.output)")
        lines.append("tamper: clean log: valid for verify, python and witness")

        /// A tampering the store itself gives away: registryctl and Python must both say so.
        func detectedByVerify(_ scenario: String, expecting problem: String, _ edit: (Database) throws -> Void) async throws {
            let copy = try copy(fixture)
            try tamper(copy.directory, edit)
            let (verified, checked) = (try await verify(copy.directory, fixture), try await python(copy.directory, fixture))
            #expect(verified.status == 1 && verified.output.contains(problem) && verified.output.hasSuffix("INVALID\n"), "\(scenario): \(verified.output)")
            #expect(checked.status == 1 && checked.output.contains("INVALID"), "\(scenario), python: \(checked.output)")
            if verified.status == 1, checked.status == 1 { lines.append("tamper: \(scenario): detected by verify (and the Python check)") }
        }

        /// A tampering made consistent with the stolen key: the store verifies, a witness holding
        /// an earlier checkpoint must catch it.
        func detectedByWitness(_ scenario: String, expecting violation: String, _ edit: (Database) throws -> Void) async throws {
            let copy = try copy(fixture)
            try tamper(copy.directory, edit)
            let verified = try await verify(copy.directory, fixture)
            #expect(verified.status == 0, "\(scenario): the insider's store verifies by itself: \(verified.output)")
            let witnessed = try await witness(copy.directory, state: copy.witnessState, fixture)
            #expect(witnessed.status == 1 && witnessed.output.contains(violation), "\(scenario): \(witnessed.output)")
            if witnessed.status == 1 { lines.append("tamper: \(scenario): detected by witness (\(violation.lowercased()); verify alone says valid)") }
        }

        try await detectedByVerify("a subject-index row deleted", expecting: "but the subject index has no row for it") { db in
            try db.execute(sql: "DELETE FROM audit_subject WHERE subject = ? AND idx = (SELECT MIN(idx) FROM audit_subject WHERE subject = ? AND idx > 300)",
                           arguments: [Self.person.rawValue, Self.person.rawValue])
        }
        try await detectedByVerify("one record's bytes edited", expecting: "do not hash to the stored tree node") { db in
            let bytes = try Data.fetchOne(db, sql: "SELECT record FROM audit_record WHERE idx = 123")!
            let edited = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "school enrolment", with: "school enrolmenx")
            try db.execute(sql: "UPDATE audit_record SET record = ? WHERE idx = 123", arguments: [Data(edited.utf8)])
        }
        try await detectedByVerify("a record deleted and the rest renumbered", expecting: "do not hash to the stored tree node") { db in
            try deleteAndRenumber(db, index: 250)
        }
        try await detectedByVerify("the tail truncated", expecting: "checkpoint at size 600 is beyond the 550 records") { db in
            try db.execute(sql: "DELETE FROM audit_record WHERE idx >= 550")
            try db.execute(sql: "DELETE FROM audit_subject WHERE idx >= 550")
        }
        try await detectedByWitness("a record edited, the log re-hashed and every checkpoint re-signed with the stolen key", expecting: "FORK") { db in
            let bytes = try Data.fetchOne(db, sql: "SELECT record FROM audit_record WHERE idx = 77")!
            let edited = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "School No. 5", with: "School No. 6")
            try db.execute(sql: "UPDATE audit_record SET record = ? WHERE idx = 77", arguments: [Data(edited.utf8)])
            try rehashAndResign(db, fixture)
        }
        try await detectedByWitness("a record deleted, the rest renumbered, re-hashed and re-signed", expecting: "ROLLBACK") { db in
            try deleteAndRenumber(db, index: 250)
            try rehashAndResign(db, fixture)
        }
        try await detectedByWitness("the latest checkpoints replaced by an older one (rollback)", expecting: "ROLLBACK") { db in
            try db.execute(sql: "DELETE FROM audit_record WHERE idx >= 300")
            try db.execute(sql: "DELETE FROM audit_subject WHERE idx >= 300")
            try db.execute(sql: "DELETE FROM audit_tree WHERE (idx + 1) << level > 300")
            try db.execute(sql: "DELETE FROM audit_checkpoint WHERE size > 300")
        }
        for line in lines { print(line) }
        let (byVerify, byWitness) = (lines.filter { $0.contains("detected by verify") }.count, lines.filter { $0.contains("detected by witness") }.count)
        row.messages = "\(Self.records) records, \(Self.records / 100) checkpoints, a witness"
        row.check(lines.count == 8, "\(8 - lines.count) of the 8 scenarios not as expected")
        return "each detected: \(byVerify) by verify and Python, \(byWitness) by the witness; the clean log valid everywhere"
    }
}
