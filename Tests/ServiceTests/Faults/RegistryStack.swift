// The four services as real processes on the test broker, under one topic prefix.

import Audit
import Crypto
import Foundation
import GRDB
import Kafka
import RegistrySchema
import TestSupport

/// A whole registry (intake, index, notification, audit) as child processes sharing a topic
/// prefix, each with its own data directory and port, that a test can kill and restart.
final class RegistryStack: @unchecked Sendable {
    static let services = ["registration-intake", "address-index", "notification", "audit"]

    let prefix: String
    let topics: TopicNames
    let root: String
    private(set) var ports: [String: Int] = [:]
    private var children: [String: ChildProcess] = [:]
    private let extra: [String: String]
    /// The audit's checkpoint key, outside every data directory.
    let auditSigningKeyFile: String
    /// The key that verifies the audit's checkpoints (of ``TestSecrets/auditSigningKey``).
    static let auditVerifier = try! NoteVerifierKey(
        name: "address-registry/audit", publicKey: Curve25519.Signing.PrivateKey(pemRepresentation: TestSecrets.auditSigningKey).publicKey)
    /// The broker the services use (the test broker unless given).
    let bootstrapServers: String

    /// Creates the topics (3 partitions each).
    /// - Parameter bootstrapServers: Another broker than the test broker (e.g. a ``PrivateBroker``).
    init(label: String, bootstrapServers: String? = nil, environment extra: [String: String] = [:]) async throws {
        prefix = TestBroker.uniqueName(label) + "."
        topics = TopicNames(prefix: prefix)
        root = NSTemporaryDirectory() + "stack-\(label)-" + UUID().uuidString
        self.bootstrapServers = try bootstrapServers ?? TestBroker.bootstrapServers()
        self.extra = extra
        auditSigningKeyFile = try TestSecrets.auditSigningKeyFile()
        let admin = try KafkaAdmin(configuration: KafkaClientConfiguration(bootstrapServers: self.bootstrapServers, clientID: "stack"), logger: TestBroker.outageLogger)
        try await admin.createTopics(RegistryTopic.allCases.map { KafkaTopicSpecification(name: topics.name(for: $0), partitions: 3) })
        for service in Self.services { ports[service] = try ChildProcess.freePort() }
    }

    func environment(_ service: String) -> [String: String] {
        var environment = [
            "KAFKA_BOOTSTRAP_SERVERS": bootstrapServers, "REGISTRY_TOPIC_PREFIX": prefix, "DATA_DIR": "\(root)/\(service)", "HTTP_PORT": "\(ports[service]!)", "REGISTRY_JWT_SECRET": TestSecrets.jwt,
            "LOG_LEVEL": "warning", "WEBHOOK_ALLOW_LOCAL": "true", "AUDIT_SIGNING_KEY_FILE": auditSigningKeyFile, "WEBHOOK_RETRY_SCHEDULE": "200ms,500ms,1s", "HTTP_RATE_LIMIT": "0",
        ]
        environment.merge(extra) { _, new in new }
        return environment
    }

    func url(_ service: String) -> String { "http://127.0.0.1:\(ports[service]!)" }

    func start(_ service: String) throws {
        children[service] = try ChildProcess(service, environment: environment(service))
    }

    func startAll() async throws {
        for service in Self.services { try start(service) }
        for service in Self.services {
            try await waitUntil("\(service) answers", timeout: .seconds(30)) { await httpGet(self.url(service) + "/health/live")?.status == 200 }
        }
    }

    /// SIGKILL, then start again.
    /// - Returns: The work the killed process left unfinished, read from its store once it was
    ///   gone: messages of its topics that had arrived before the kill and that it had not applied,
    ///   rows in its outbox, and (notification) deliveries pending or retrying. 0: the kill
    ///   interrupted nothing; `nil`: the broker, busy with the load, did not tell the partitions'
    ///   ends in time, so what was unfinished cannot be told (the kill happens all the same).
    @discardableResult
    func killAndRestart(_ service: String, _ admin: KafkaAdmin) async throws -> Int? {
        var ends: [KafkaTopicPartition: Int64]? = [:]
        probing: for (group, read) in consumerGroups where group.hasPrefix(prefix + service) {
            for topic in read {
                for partition in 0..<3 {
                    let partition = KafkaTopicPartition(topic: topics.name(for: topic), partition: Int32(partition))
                    guard let high = try? await admin.watermarks(of: partition, timeout: .seconds(15)).high else {
                        ends = nil
                        break probing
                    }
                    ends?[partition] = high
                }
            }
        }
        if let child = children[service] {
            child.signal(SIGKILL)
            _ = await child.waitForExit(timeout: .seconds(10))
        }
        guard let arrived = ends else {
            try start(service)
            return nil
        }
        var unfinished = 0
        if FileManager.default.fileExists(atPath: "\(root)/\(service)/\(service).sqlite") {
            unfinished = try await store(service).read { db in
                var applied: [KafkaTopicPartition: Int64] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT topic, partition, next_offset FROM consumer_offset") {
                    applied[KafkaTopicPartition(topic: row["topic"], partition: row["partition"])] = row["next_offset"]
                }
                var unfinished = arrived.reduce(0) { $0 + Int(max(0, $1.value - (applied[$1.key] ?? 0))) }
                unfinished += try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox") ?? 0
                if service == "notification" {
                    unfinished += try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM delivery WHERE status IN ('pending', 'retrying')") ?? 0
                }
                return unfinished
            }
        }
        try start(service)
        return unfinished
    }

    /// Stops `service` and starts it through `registryctl replay` (`--rebuild`), the documented
    /// way to rebuild a projection; it then keeps running as the service.
    func replay(_ service: String) async throws {
        if let child = children[service] { await child.kill() }
        children[service] = try ChildProcess("registryctl", arguments: ["replay", service], environment: environment(service))
    }

    func stopAll() async {
        for child in children.values { await child.kill() }
    }

    /// Output of a service, for a failing test.
    func output(_ service: String) -> String { children[service]?.output ?? "" }

    /// A read-only connection to a service's store.
    func store(_ service: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        return try DatabaseQueue(path: "\(root)/\(service)/\(service).sqlite", configuration: configuration)
    }

    /// The groups of each service and the topics they read.
    var consumerGroups: [(group: String, topics: [RegistryTopic])] {
        let audited = AuditService.auditedTopics
        return [
            (prefix + "registration-intake", [.registrationSubmitted]), (prefix + "registration-intake.catalog", [.addressCatalog]),
            (prefix + "address-index", [.registrationAccepted]), (prefix + "address-index.catalog", [.addressCatalog]),
            (prefix + "notification", [.addressChanged, .addressAlerts]), (prefix + "notification.catalog", [.addressCatalog]),
            (prefix + "audit.read" + AuditService.instanceSuffix(dataDirectory: "\(root)/audit"), audited),
            (prefix + "audit.log" + AuditService.instanceSuffix(dataDirectory: "\(root)/audit"), [.auditLog]),
        ]
    }

    /// Whether every service has applied every message of its topics, every outbox is empty and
    /// no webhook delivery waits: the system has caught up.
    /// Throws when a service's own process (not a tool run in its place) has exited: a wait for
    /// the stack to catch up would otherwise wait out its whole timeout for a dead process.
    func checkAlive(_ services: [String] = RegistryStack.services) throws {
        for service in services {
            guard let child = children[service], child.process.executableURL?.lastPathComponent == service, !child.process.isRunning else { continue }
            let tail = child.output.split(separator: "\n").suffix(20).joined(separator: "\n")
            throw FixtureError(description: "\(service) exited by itself (status \(child.process.terminationStatus), \(child.process.terminationReason == .uncaughtSignal ? "signal" : "exit")); its last output:\n\(tail)")
        }
    }

    func caughtUp(_ admin: KafkaAdmin) async throws -> Bool {
        try await behind(admin) == nil
    }

    /// What is not finished yet (outbox rows, deliveries, a group's partitions behind their
    /// end), or `nil` once everything is: a wait that runs out says what it was waiting for.
    func behind(_ admin: KafkaAdmin, only services: [String] = RegistryStack.services) async throws -> String? {
        try checkAlive(services)
        for service in services {
            let waiting = try? await store(service).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM outbox") ?? 0 }
            guard waiting == 0 else { return "\(service): \(waiting.map(String.init) ?? "unreadable") rows in the outbox" }
        }
        let deliveries = try? await store("notification").read {
            try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM delivery WHERE status IN ('pending', 'retrying')") ?? 0
        }
        guard deliveries == 0 || !services.contains("notification") else {
            return "notification: \(deliveries.map(String.init) ?? "unreadable") deliveries pending or retrying"
        }
        var lagging: [String] = []
        for (group, read) in consumerGroups {
            guard let service = services.first(where: { group.hasPrefix(prefix + $0) }) else { continue }
            let partitions = read.flatMap { topic in (0..<3).map { KafkaTopicPartition(topic: topics.name(for: topic), partition: Int32($0)) } }
            let committed = try await admin.committedOffsets(group: group, partitions: partitions)
            for partition in partitions {
                let end = try await admin.watermarks(of: partition).high
                guard end > 0 && committed[partition] != end else { continue }
                // What the service itself applied (its own stored offset): tells a partition it
                // does not read apart from a commit the broker did not get.
                let applied = try? await store(service).read {
                    try Int64.fetchOne($0, sql: "SELECT next_offset FROM consumer_offset WHERE topic = ? AND partition = ?", arguments: [partition.topic, partition.partition])
                }
                lagging.append("\(group) \(partition): committed \(committed[partition].map(String.init) ?? "none") of \(end), applied \(applied.flatMap { $0 }.map(String.init) ?? "none")")
            }
        }
        return lagging.isEmpty ? nil : lagging.joined(separator: "; ")
    }

    /// The sum of the partitions' ends of `topics`: how many messages they hold.
    func messages(in topics: [RegistryTopic], _ admin: KafkaAdmin) async throws -> Int64 {
        var total: Int64 = 0
        for topic in topics {
            for partition in 0..<3 { total += try await admin.watermarks(of: KafkaTopicPartition(topic: self.topics.name(for: topic), partition: Int32(partition))).high }
        }
        return total
    }
}
