// audit through real HTTP and as a real process that is killed while it ingests.

import Audit
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
        ]
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
        let (records, distinct, verification, checkpoints) = try await database.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_record")!,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM (SELECT DISTINCT topic, partition, offset FROM audit_record)")!,
             try AuditLedger(db).verify(),
             try Row.fetchAll(db, sql: "SELECT c.head, r.hash FROM audit_checkpoint c JOIN audit_record r ON r.position = c.records").map { row -> Bool in
                 (row["hash"] as Data).map { String(format: "%02x", $0) }.joined() == row["head"] as String
             })
        }
        #expect(records == total && distinct == total)
        #expect(verification.valid && verification.records == total)
        #expect(!checkpoints.isEmpty && checkpoints.allSatisfy { $0 }, "every checkpoint's head is the chain's hash at its position")
        // registryctl checks the same store offline: chain, checkpoint heads and signatures.
        let offline = try ChildProcess("registryctl", arguments: ["audit", "verify", "--store", directory + "/audit.sqlite"])
        #expect(await offline.waitForExit(timeout: .seconds(60)) == 0, "\(offline.output)")
        #expect(offline.output.contains("records:     \(total)") && offline.output.contains("signatures checked") && offline.output.hasSuffix("valid\n"), "\(offline.output)")
        print("registryctl audit verify --store: \(offline.output.split(separator: "\n").joined(separator: "; "))")
        print("audit crash test: 3 SIGKILLs while ingesting; \(records) records of \(total), none repeated; chain valid, head \(verification.head.prefix(16))…; \(checkpoints.count) checkpoints match the chain")
    }
}
