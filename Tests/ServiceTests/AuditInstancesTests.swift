// Two audit instances, one killed while they ingest: one log, the same on both.

import Crypto
import Foundation
import GRDB
import JWTKit
import Kafka
import RegistrySchema
import ServiceRuntime
import Testing
import TestSupport
@testable import Audit

@Suite(.timeLimit(.minutes(10))) struct AuditInstancesTests {
    static let person = IIN(rawValue: "860101300126")!

    func signed(_ role: ServiceRuntime.Role) async throws -> String {
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: TestSecrets.jwt), digestAlgorithm: .sha256)
        return try await keys.sign(RegistryTokenClaims(sub: "\(role)-1", role: role, scope: nil, org: nil, expires: Date().addingTimeInterval(600)))
    }

    func json(_ url: String, token: String? = nil) async -> [String: Any]? {
        guard let answer = await httpGet(url, headers: token.map { ["Authorization": "Bearer \($0)"] } ?? [:]), answer.status == 200 else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
    }

    @Test func twoInstancesKeepOneLogAndAKilledOneCatchesUp() async throws {
        let topics = TopicNames(prefix: TestBroker.uniqueName("audit-ha") + ".")
        try await TestBroker.createTopics(RegistryTopic.allCases.map(topics.name(for:)), partitions: 3)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try TestBroker.clientConfiguration()), logger: TestBroker.logger)
        let keyFile = try TestSecrets.auditSigningKeyFile()
        let verifier = try NoteVerifierKey(name: "address-registry/audit", publicKey: Curve25519.Signing.PrivateKey(pemRepresentation: TestSecrets.auditSigningKey).publicKey)
        let root = NSTemporaryDirectory() + "audit-ha-" + UUID().uuidString
        func environment(_ name: String, port: Int) -> [String: String] {
            [
                "DATA_DIR": "\(root)/\(name)", "HTTP_PORT": "\(port)", "REGISTRY_TOPIC_PREFIX": topics.prefix, "REGISTRY_JWT_SECRET": TestSecrets.jwt,
                "LOG_LEVEL": "warning", "AUDIT_CHECKPOINT_RECORDS": "200", "AUDIT_CHECKPOINT_SECONDS": "1", "AUDIT_SIGNING_KEY_FILE": keyFile,
            ]
        }
        let ports = ["a": try ChildProcess.freePort(), "b": try ChildProcess.freePort()]
        var instances = ["a": try ChildProcess("audit", environment: environment("a", port: ports["a"]!)), "b": try ChildProcess("audit", environment: environment("b", port: ports["b"]!))]
        let encoder = RegistryEventEncoder()
        let total = 1_500
        func send(_ range: Range<Int>) async throws {
            let messages = try range.map { n in
                KafkaProducerMessage(topic: topics.name(for: .accessLogged), key: "agency-\(n % 7)", value: try encoder.encodeBytes(CloudEvent(
                    id: "ha-\(n)", source: "/registry/address-index", time: Timestamp(.now), data: AccessLogged(
                        service: "address-index", actor: AccessActor(sub: "agency-\(n % 7)", role: "agency", org: "School No. 5"), purpose: "school enrolment",
                        action: "registration.read", subjects: [Self.person.rawValue], method: "GET", path: "/v1/persons/x/registration", status: 200, at: Timestamp(.now)))))
            }
            _ = try await producer.send(messages)
        }
        let token = try await signed(.auditor), operatorToken = try await signed(.operator)
        func records(_ name: String) async -> Int? {
            await json("http://127.0.0.1:\(ports[name]!)/v1/audit/verify", token: token)?["records"] as? Int
        }

        // Both share the work; one is killed while the records stream in, and comes back.
        try await send(0..<500)
        try await waitUntil("both instances hold the first records", timeout: .seconds(120), interval: .milliseconds(300)) {
            let (a, b) = (await records("a") ?? 0, await records("b") ?? 0)
            return a >= 200 && b >= 200
        }
        // The one that orders the log is killed: the other takes over.
        var sequencing: String?
        var flags: [String: String] = [:]
        defer { if sequencing == nil { print("audit_sequencing as served: \(flags)") } }
        try await waitUntil("one instance sequences the log", timeout: .seconds(60), interval: .milliseconds(300)) {
            for name in ["a", "b"] {
                let metrics = await httpGet("http://127.0.0.1:\(ports[name]!)/metrics", headers: ["Authorization": "Bearer \(operatorToken)"])?.body ?? ""
                let flag = metrics.split(separator: "\n").first { $0.hasPrefix("audit_sequencing") }
                flags[name] = flag.map(String.init) ?? "absent"
                if let flag, flag.hasSuffix(" 1") || flag.hasSuffix(" 1.0") { sequencing = name }
            }
            return sequencing != nil
        }
        let killed = sequencing!, survivor = killed == "a" ? "b" : "a"
        instances[killed]!.signal(SIGKILL)
        _ = await instances[killed]!.waitForExit(timeout: .seconds(10))
        try await send(500..<1_000)
        try await waitUntil("\(survivor) orders and holds what \(killed) can no longer take", timeout: .seconds(120), interval: .milliseconds(300)) {
            (await records(survivor) ?? 0) >= 1_000
        }
        instances[killed] = try ChildProcess("audit", environment: environment(killed, port: ports[killed]!))
        try await send(1_000..<total)
        try await waitUntil("both instances hold every record", timeout: .seconds(180), interval: .milliseconds(300)) {
            let (a, b) = (await records("a"), await records("b"))
            return a == total && b == total
        }

        // One log: the same root, the same signed checkpoints, on both; each verifies.
        var answers: [String: [String: Any]] = [:]
        var checkpoints: [String: [String]] = [:]
        for name in ["a", "b"] {
            answers[name] = await json("http://127.0.0.1:\(ports[name]!)/v1/audit/verify", token: token)
            try await waitUntil("\(name) has published its checkpoints", timeout: .seconds(60)) {
                let page = await json("http://127.0.0.1:\(ports[name]!)/v1/audit/checkpoints")
                return ((page?["checkpoints"] as? [[String: Any]])?.last?["size"] as? Int) == total
            }
            let page = await json("http://127.0.0.1:\(ports[name]!)/v1/audit/checkpoints")
            checkpoints[name] = ((page?["checkpoints"] as? [[String: Any]]) ?? []).compactMap { $0["note"] as? String }
        }
        #expect(answers["a"]?["valid"] as? Bool == true && answers["b"]?["valid"] as? Bool == true, "\(answers)")
        #expect(answers["a"]?["head"] as? String == answers["b"]?["head"] as? String, "the same tree on both")
        #expect(!checkpoints["a"]!.isEmpty && checkpoints["a"] == checkpoints["b"], "byte-identical signed checkpoints on both")

        // A witness following the topic sees every checkpoint both published, all consistent.
        let witness = try ChildProcess(
            "registryctl", arguments: ["audit", "witness", "--once", "--url", "http://127.0.0.1:\(ports["b"]!)", "--verifier", verifier.description,
                                       "--state", root + "/witness.json"], environment: ["REGISTRY_TOPIC_PREFIX": topics.prefix])
        #expect(await witness.waitForExit(timeout: .seconds(60)) == 0, "\(witness.output)")
        #expect(witness.output.contains("verified address-registry/audit size \(total) "), "\(witness.output)")

        for (_, instance) in instances {
            instance.signal(SIGTERM)
            _ = await instance.waitForExit(timeout: .seconds(20))
        }
        for name in ["a", "b"] {
            let store = try DatabaseQueue(path: "\(root)/\(name)/audit.sqlite", configuration: { var c = Configuration(); c.readonly = true; return c }())
            let (count, distinct) = try await store.read { db in
                (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_record")!, try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT event_id) FROM audit_record")!)
            }
            #expect(count == total && distinct == total, "\(name): every message once")
            let independent = try await IndependentAuditCheck.run(store: "\(root)/\(name)/audit.sqlite", verifier: verifier)
            #expect(independent.status == 0, "\(name): \(independent.output)")
        }
        print("audit instances: 2 instances, the sequencing one killed while ingesting; \(total) records on each, once each; the same root; \(checkpoints["a"]!.count) signed checkpoints, byte-identical on both; the witness verified them all")
    }

    /// What an applier asks for when its reader missed records: the runs' messages, read again
    /// from the broker, and nothing else.
    @Test func theRecordsARunNamesAreReadAgainFromTheBroker() async throws {
        let topic = TestBroker.uniqueName("audit-refetch") + ".access.logged.v1"
        try await TestBroker.createTopics([topic], partitions: 2)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try TestBroker.clientConfiguration()), logger: TestBroker.logger)
        for partition: Int32 in [0, 1] {
            for n in 0..<12 {
                _ = try await producer.send([KafkaProducerMessage(topic: topic, partition: partition, key: nil, value: Array("{\"n\":\(n)}".utf8), headers: [])])
            }
        }
        let refetcher = RecordRefetcher(
            configuration: KafkaConsumerConfiguration(client: try TestBroker.clientConfiguration(), groupID: TestBroker.uniqueName("audit-refetch")),
            logger: TestBroker.logger)
        let runs = [
            AuditLogRun(topic: topic, partition: 0, from: 2, through: 4), AuditLogRun(topic: topic, partition: 0, from: 8, through: 11),
            AuditLogRun(topic: topic, partition: 1, from: 11, through: 11),
        ]
        let records = try await refetcher.read(runs)
        #expect(records.filter { $0.facts.partition == 0 }.map(\.facts.offset) == Array(2...11), "one reading per partition, from its first offset named through its last")
        #expect(records.filter { $0.facts.partition == 1 }.map(\.facts.offset) == [11], "the partition's last message ends its reading")
        #expect(records.allSatisfy { $0.facts.topic == topic })
    }
}
