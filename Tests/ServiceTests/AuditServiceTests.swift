// audit through real HTTP and as a real process that is killed while it ingests.

import Crypto
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import Kafka
import RegistrySchema
import ServiceRuntime
import Testing
import TestSupport
@testable import Audit

@Suite(.timeLimit(.minutes(5))) struct AuditServiceTests {
    static let person = IIN(rawValue: "860101300126")!
    static let other = IIN(rawValue: "790512400220")!

    func token(_ role: Role, _ sub: String) async throws -> String {
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: TestSecrets.jwt), digestAlgorithm: .sha256)
        return try await keys.sign(RegistryTokenClaims(sub: sub, role: role, scope: nil, org: nil, expires: Date().addingTimeInterval(600)))
    }

    static func access(_ n: Int, of iin: IIN) throws -> [UInt8] {
        try RegistryEventEncoder().encodeBytes(CloudEvent(id: "access-\(n)", source: "/registry/address-index", time: Timestamp(.now), data: AccessLogged(
            service: "address-index", actor: AccessActor(sub: "123456789012", role: "agency", org: "School No. 5"), purpose: "school enrolment",
            action: "registration.read", subjects: [iin.rawValue], method: "GET", path: "/v1/persons/\(iin.rawValue)/registration", status: 200, at: Timestamp(.now))))
    }

    @Test func aCitizenSeesWhoLookedThemUpAndWhyAndNobodyElseSeesIt() async throws {
        let application = try await TestApplication.make(AuditService.self)
        let message = KafkaConsumerMessage(
            topicPartition: KafkaTopicPartition(topic: "access.logged.v1", partition: 0), offset: 0, key: Array("123456789012".utf8),
            value: try Self.access(1, of: Self.person), headers: [], timestampMilliseconds: nil)
        try await application.environment.store.write { db in _ = try AuditLedger(db).append(AuditRecord(message, decoder: RegistryEventDecoder())) }
        let citizen = try await token(.citizen, Self.person.rawValue)
        let stranger = try await token(.citizen, Self.other.rawValue)
        let auditor = try await token(.auditor, "auditor-1")
        try await application.http.test(.live) { client in
            try await client.execute(uri: "/v1/audit/subjects/\(Self.person.rawValue)", method: .get, headers: [.authorization: "Bearer \(citizen)"]) { response in
                #expect(response.status == .ok)
                let body = String(buffer: response.body)
                #expect(body.contains(#""purpose":"school enrolment""#) && body.contains(#""org":"School No. 5""#) && body.contains(#""action":"registration.read""#), "\(body)")
                print("audit trail as the citizen sees it: \(body.prefix(300))")
            }
            try await client.execute(uri: "/v1/audit/subjects/\(Self.person.rawValue)", method: .get, headers: [.authorization: "Bearer \(stranger)"]) { response in
                #expect(response.status == .forbidden)
                #expect(!String(buffer: response.body).contains(Self.person.rawValue))
            }
            try await client.execute(uri: "/v1/audit/records?type=kz.registry.access.logged.v1", method: .get, headers: [.authorization: "Bearer \(auditor)"]) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#""next":null"#))
            }
            try await client.execute(uri: "/v1/audit/verify", method: .get, headers: [.authorization: "Bearer \(auditor)"]) { response in
                #expect(String(buffer: response.body).contains(#""valid":true"#))
            }
            try await client.execute(uri: "/v1/audit/verify", method: .get, headers: [.authorization: "Bearer \(citizen)"]) { #expect($0.status == .forbidden) }
        }
        // Reading the trail is itself an access, waiting in the outbox for access.logged.v1.
        let logged = try await application.environment.store.read { try Outbox.oldest(10, in: $0) }
        let actions = try logged.map { try RegistryEventDecoder().decode(AccessLogged.self, from: $0.message.value ?? []).data.action }
        #expect(actions.contains("audit.trail") && actions.contains("audit.records"))
    }

    /// Appends `count` access records (even ones about ``person``, odd ones about ``other``) as
    /// the processor does, signing checkpoints every 100, and marks their events as sent.
    static func fill(_ application: ServiceApplication, count: Int) async throws -> NoteVerifierKey {
        let key = try Curve25519.Signing.PrivateKey(pemRepresentation: TestSecrets.auditSigningKey)
        let signer = try CheckpointSigner(key: key, origin: "address-registry/audit", everyRecords: 100, topic: "audit.checkpoints.v1")
        let decoder = RegistryEventDecoder()
        for chunk in stride(from: 0, to: count, by: 50) {
            let messages = try (chunk..<min(chunk + 50, count)).map { n in
                KafkaConsumerMessage(
                    topicPartition: KafkaTopicPartition(topic: "access.logged.v1", partition: 0), offset: Int64(n), key: Array("123456789012".utf8),
                    value: try access(n, of: n % 2 == 0 ? person : other), headers: [], timestampMilliseconds: nil)
            }
            let records = try CanonicalRecord.records(of: messages, decoder: decoder)
            try await application.environment.store.write { db in
                var frontier = try StoredTree(db).frontier()
                try AuditLedger(db).append(records, to: &frontier)
                try signer.checkpointIfDue(db, frontier: frontier, force: false) { try Outbox.append($0, in: db) }
                // The relay's part: sent and acknowledged, so deleted.
                try db.execute(sql: "DELETE FROM outbox")
            }
        }
        return signer.verifier
    }

    @Test func proofsEntriesAndCheckpointsOverHTTPCheckOutWithTheServedKey() async throws {
        let application = try await TestApplication.make(AuditService.self)
        _ = try await Self.fill(application, count: 250)
        let citizen = try await token(.citizen, Self.person.rawValue)
        let auditor = try await token(.auditor, "auditor-1")
        try await application.http.test(.live) { client in
            let verifierText = try await client.execute(uri: "/v1/audit/checkpoint/verifier", method: .get) { response in
                #expect(response.headers[.contentType] == "text/plain; charset=utf-8")
                return String(buffer: response.body)
            }
            let verifier = try NoteVerifierKey(parsing: verifierText)
            #expect(verifierText == verifier.description + "\n" && verifier.name == "address-registry/audit")
            let note = try await client.execute(uri: "/v1/audit/checkpoint", method: .get) { String(buffer: $0.body) }
            let checkpoint = try CheckpointNote(verifying: note, with: verifier)
            #expect(checkpoint.size == 200, "the latest published checkpoint: \(note)")

            // Entry 36 names the person: the citizen reads it, checks its leaf against the checkpoint.
            let entry = try await client.execute(uri: "/v1/audit/entries/36", method: .get, headers: [.authorization: "Bearer \(citizen)"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "no-store", "answers with personal data are not cached")
                return try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as! [String: Any]
            }
            let leaf = try #require(Data(base64Encoded: entry["leaf"] as? String ?? ""))
            #expect((entry["record"] as? [String: Any])?["subjects"] as? [String] == [Self.person.rawValue])
            let proof = try await client.execute(uri: "/v1/audit/proof/inclusion?index=36&size=200", method: .get) { response in
                try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as! [String: Any]
            }
            let hashes = (proof["hashes"] as? [String] ?? []).compactMap { Data(base64Encoded: $0) }
            #expect(hashes.count == 8 && proof["index"] as? Int == 36 && proof["size"] as? Int == 200)
            #expect(MerkleVerification.verifyInclusion(leafHash: MerkleHash.leaf(leaf), index: 36, size: 200, proof: hashes, root: checkpoint.root))

            // Checkpoint 100 → 200 is consistent, and the page of checkpoints says so too.
            let page = try await client.execute(uri: "/v1/audit/checkpoints", method: .get) { response in
                try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as! [String: Any]
            }
            let listed = try #require(page["checkpoints"] as? [[String: Any]])
            #expect(listed.map { $0["size"] as? Int } == [100, 200] && page["next"] is NSNull && page["verifier"] as? String == verifier.description)
            let first = try CheckpointNote(verifying: listed[0]["note"] as? String ?? "", with: verifier)
            let consistency = try await client.execute(uri: "/v1/audit/proof/consistency?from=100&to=200", method: .get) { response in
                try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as! [String: Any]
            }
            let path = (consistency["hashes"] as? [String] ?? []).compactMap { Data(base64Encoded: $0) }
            #expect(MerkleVerification.verifyConsistency(firstSize: 100, firstRoot: first.root, secondSize: 200, secondRoot: checkpoint.root, proof: path))

            // Entries: the citizen sees no one else's; the auditor any; beyond the log is 404.
            try await client.execute(uri: "/v1/audit/entries/37", method: .get, headers: [.authorization: "Bearer \(citizen)"]) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/v1/audit/entries/37", method: .get, headers: [.authorization: "Bearer \(auditor)"]) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/audit/entries/250", method: .get, headers: [.authorization: "Bearer \(auditor)"]) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/audit/entries/36", method: .get) { #expect($0.status == .unauthorized) }

            // Proofs beyond the tree, or asked wrongly, are 400 with a problem that says why.
            for query in ["inclusion?index=250&size=250", "inclusion?index=3&size=251", "inclusion?index=3", "inclusion?index=x&size=9",
                          "consistency?from=0&to=10", "consistency?from=20&to=10", "consistency?from=1&to=251", "consistency?to=5"] {
                try await client.execute(uri: "/v1/audit/proof/\(query)", method: .get) { response in
                    #expect(response.status == .badRequest, "\(query)")
                    #expect(response.headers[.contentType] == "application/problem+json", "\(query)")
                }
            }
            // The trail pages, 100 records a page, each with its leaf index.
            let trail = try await client.execute(uri: "/v1/audit/subjects/\(Self.person.rawValue)", method: .get, headers: [.authorization: "Bearer \(citizen)"]) { response in
                try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as! [String: Any]
            }
            let records = try #require(trail["records"] as? [[String: Any]])
            #expect(records.count == 100 && records.first?["index"] as? Int == 0 && records.last?["index"] as? Int == 198 && trail["next"] as? String == "198")
            let rest = try await client.execute(uri: "/v1/audit/subjects/\(Self.person.rawValue)?cursor=198", method: .get, headers: [.authorization: "Bearer \(citizen)"]) { response in
                try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as! [String: Any]
            }
            #expect((rest["records"] as? [[String: Any]])?.count == 25 && rest["next"] is NSNull)
        }
    }

    @Test func killedWhileIngestingItLosesAndRepeatsNothing() async throws {
        let topics = TopicNames(prefix: TestBroker.uniqueName("audit") + ".")
        try await TestBroker.createTopics(RegistryTopic.allCases.map(topics.name(for:)), partitions: 3)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try TestBroker.clientConfiguration()), logger: TestBroker.logger)
        let total = 6_000
        let producing = Task {
            for chunk in stride(from: 0, to: total, by: 500) {
                let messages = try (chunk..<chunk + 500).map { n in
                    KafkaProducerMessage(topic: topics.name(for: n % 2 == 0 ? .accessLogged : .deadLetter), key: "k\(n % 17)", value: try Self.access(n, of: Self.person))
                }
                _ = try await producer.send(messages)
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let directory = NSTemporaryDirectory() + "audit-kill-" + UUID().uuidString
        let environment = [
            "DATA_DIR": directory, "HTTP_PORT": "\(try ChildProcess.freePort())", "REGISTRY_TOPIC_PREFIX": topics.prefix,
            "REGISTRY_JWT_SECRET": TestSecrets.jwt, "LOG_LEVEL": "warning", "AUDIT_CHECKPOINT_RECORDS": "500",
            "AUDIT_SIGNING_KEY_FILE": try TestSecrets.auditSigningKeyFile(),
        ]
        let verifier = try NoteVerifierKey(name: "address-registry/audit", publicKey: Curve25519.Signing.PrivateKey(pemRepresentation: TestSecrets.auditSigningKey).publicKey)
        var audit = try ChildProcess("audit", environment: environment)
        for _ in 0..<3 {
            try await Task.sleep(for: .milliseconds(Int.random(in: 800...1_600)))
            audit.signal(SIGKILL)
            _ = await audit.waitForExit(timeout: .seconds(10))
            audit = try ChildProcess("audit", environment: environment)
        }
        try await producing.value
        let database = try DatabaseQueue(path: directory + "/audit.sqlite", configuration: { var c = Configuration(); c.readonly = true; return c }())
        try await waitUntil("every message is recorded", timeout: .seconds(120), interval: .milliseconds(300)) {
            (try? await database.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM audit_record") }) ?? 0 >= total
        }
        audit.signal(SIGTERM)
        #expect(await audit.waitForExit(timeout: .seconds(20)) == 0)
        let (records, distinct, verification) = try await database.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_record")!,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM (SELECT DISTINCT topic, partition, offset FROM audit_record)")!,
             try AuditLedger(db).verify(verifier: verifier))
        }
        #expect(records == total && distinct == total)
        #expect(verification.valid && verification.records == total, "\(verification.problems)")
        #expect(verification.checkpoints >= 1, "every checkpoint's root is the tree's at its size and its note is signed")
        // registryctl checks the same store offline: tree, subject index, checkpoint roots and signatures.
        let offline = try ChildProcess("registryctl", arguments: ["audit", "verify", "--store", directory + "/audit.sqlite", "--verifier", verifier.description])
        #expect(await offline.waitForExit(timeout: .seconds(60)) == 0, "\(offline.output)")
        #expect(offline.output.contains("records:     \(total)") && offline.output.contains("signatures checked") && offline.output.hasSuffix("valid\n"), "\(offline.output)")
        print("registryctl audit verify --store: \(offline.output.split(separator: "\n").joined(separator: "; "))")
        print("audit crash test: 3 SIGKILLs while ingesting; \(records) records of \(total), none repeated; tree valid, root \(verification.root.prefix(16))…; \(verification.checkpoints) checkpoints match the tree")
    }
}
