// The four services as real processes on the test broker, under one topic prefix.

import Audit
import Crypto
import Foundation
import GRDB
import Kafka
import RegistrySchema
import TestSupport

/// A whole registry (intake, index, notification, audit) as child processes sharing a topic
/// prefix, each with its own data directory and port, that a test can kill and restart. A service
/// may run as several instances (``instances``); instance 1 is the one the single-instance
/// helpers (``url(_:)``, ``store(_:)``…) mean.
final class RegistryStack: @unchecked Sendable {
    static let services = ["registration-intake", "address-index", "notification", "audit"]

    let prefix: String
    let topics: TopicNames
    let root: String
    /// Partitions of every topic.
    let partitions: Int32
    /// How many instances of each service run.
    let instances: [String: Int]
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

    /// Creates the topics (`partitions` each).
    /// - Parameters:
    ///   - bootstrapServers: Another broker than the test broker (e.g. a ``PrivateBroker``).
    ///   - instances: Instances per service (1 unless given); index instances share one
    ///     certificate key file.
    init(
        label: String, bootstrapServers: String? = nil, environment extra: [String: String] = [:], partitions: Int32 = 3,
        instances: [String: Int] = [:]
    ) async throws {
        prefix = TestBroker.uniqueName(label) + "."
        topics = TopicNames(prefix: prefix)
        root = NSTemporaryDirectory() + "stack-\(label)-" + UUID().uuidString
        self.bootstrapServers = try bootstrapServers ?? TestBroker.bootstrapServers()
        self.partitions = partitions
        self.instances = instances
        var extra = extra
        if (instances["address-index"] ?? 1) > 1 {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            let keyFile = root + "/certificate-signing-key.pem"
            try Curve25519.Signing.PrivateKey().pemRepresentation.write(toFile: keyFile, atomically: true, encoding: .utf8)
            extra["CERT_SIGNING_KEY_FILE"] = keyFile
        }
        self.extra = extra
        auditSigningKeyFile = try TestSecrets.auditSigningKeyFile()
        let admin = try KafkaAdmin(configuration: KafkaClientConfiguration(bootstrapServers: self.bootstrapServers, clientID: "stack"), logger: TestBroker.outageLogger)
        try await admin.createTopics(RegistryTopic.allCases.map { KafkaTopicSpecification(name: topics.name(for: $0), partitions: partitions) })
        for service in Self.services {
            for instance in 1...(instances[service] ?? 1) { ports[Self.name(service, instance)] = try ChildProcess.freePort() }
        }
    }

    /// The name of an instance: the service's for the first, `service#n` for the others.
    static func name(_ service: String, _ instance: Int) -> String { instance == 1 ? service : "\(service)#\(instance)" }

    /// The instance numbers of `service`.
    func instanceNumbers(_ service: String) -> ClosedRange<Int> { 1...(instances[service] ?? 1) }

    func dataDirectory(_ service: String, instance: Int = 1) -> String {
        instance == 1 ? "\(root)/\(service)" : "\(root)/\(service)-\(instance)"
    }

    func environment(_ service: String, instance: Int = 1) -> [String: String] {
        var environment = [
            "KAFKA_BOOTSTRAP_SERVERS": bootstrapServers, "REGISTRY_TOPIC_PREFIX": prefix, "DATA_DIR": dataDirectory(service, instance: instance),
            "HTTP_PORT": "\(ports[Self.name(service, instance)]!)", "REGISTRY_JWT_SECRET": TestSecrets.jwt,
            "LOG_LEVEL": "warning", "WEBHOOK_ALLOW_LOCAL": "true", "AUDIT_SIGNING_KEY_FILE": auditSigningKeyFile, "WEBHOOK_RETRY_SCHEDULE": "200ms,500ms,1s",
            "HTTP_RATE_LIMIT": "0",
        ]
        environment.merge(extra) { _, new in new }
        return environment
    }

    func url(_ service: String, instance: Int = 1) -> String { "http://127.0.0.1:\(ports[Self.name(service, instance)]!)" }

    func start(_ service: String, instance: Int = 1) throws {
        children[Self.name(service, instance)] = try ChildProcess(service, environment: environment(service, instance: instance))
    }

    func startAll() async throws {
        for service in Self.services { for instance in instanceNumbers(service) { try start(service, instance: instance) } }
        for service in Self.services {
            for instance in instanceNumbers(service) {
                try await waitUntil("\(Self.name(service, instance)) answers", timeout: .seconds(30)) {
                    await httpGet(self.url(service, instance: instance) + "/health/live")?.status == 200
                }
            }
        }
    }

    /// Waits until an instance reports ready (caught up).
    func waitReady(_ service: String, instance: Int = 1, timeout: Duration = .seconds(240)) async throws {
        do {
            try await waitUntil("\(Self.name(service, instance)) is ready", timeout: timeout, interval: .milliseconds(200)) {
                await httpGet(self.url(service, instance: instance) + "/health/ready")?.status == 200
            }
        } catch {
            let readiness = await httpGet(url(service, instance: instance) + "/health/ready")?.body ?? "no answer"
            let lines = output(service, instance: instance).split(separator: "\n").suffix(80)
            let process = children[Self.name(service, instance)]?.process
            let state = process.map { $0.isRunning ? "running, pid \($0.processIdentifier)" : "exited with status \($0.terminationStatus)" } ?? "not started"
            print("---- \(Self.name(service, instance)) not ready (\(readiness); process \(state)):\n\(lines.joined(separator: "\n"))")
            // A process that answers nothing: where its threads wait (when gdb is installed).
            if readiness == "no answer", let process, process.isRunning { print(await Self.threadStacks(of: process.processIdentifier)) }
            // A member that keeps its group from assigning shows it in its own output.
            for other in instanceNumbers(service) where other != instance {
                let theirs = output(service, instance: other).split(separator: "\n").suffix(40)
                print("---- meanwhile \(Self.name(service, other)):\n\(theirs.joined(separator: "\n"))")
            }
            throw error
        }
    }

    /// The innermost frames of every thread of process `pid`, as gdb reads them; a note when gdb
    /// is not installed.
    static func threadStacks(of pid: Int32) async -> String {
        let gdb = URL(fileURLWithPath: "/usr/bin/gdb")
        guard FileManager.default.isExecutableFile(atPath: gdb.path),
            let child = try? ChildProcess(executableURL: gdb, arguments: ["-p", "\(pid)", "-batch", "-ex", "thread apply all bt 12"])
        else { return "(no gdb: thread stacks not shown)" }
        _ = await child.waitForExit(timeout: .seconds(60))
        return "---- thread stacks of pid \(pid):\n" + child.output.split(separator: "\n").filter { $0.hasPrefix("#") || $0.hasPrefix("Thread") }.prefix(400).joined(separator: "\n")
    }

    /// SIGKILL, then start again.
    /// - Parameter admin: Given, the partitions' ends are read before the kill, to tell what the
    ///   kill interrupted.
    /// - Returns: The work the killed process left unfinished, read from its store once it was
    ///   gone: messages of its topics that had arrived before the kill and that it had not applied,
    ///   rows in its outbox, and (notification) deliveries pending or retrying. 0: the kill
    ///   interrupted nothing; `nil`: no `admin`, or the broker, busy with the load, did not tell
    ///   the partitions' ends in time, so what was unfinished cannot be told (the kill happens all
    ///   the same).
    @discardableResult
    func killAndRestart(_ service: String, _ admin: KafkaAdmin? = nil, instance: Int = 1) async throws -> Int? {
        var ends: [KafkaTopicPartition: Int64]? = admin == nil ? nil : [:]
        probing: for (group, read) in consumerGroups where admin != nil && group.hasPrefix(prefix + service) {
            for topic in read {
                for partition in 0..<partitions {
                    let partition = KafkaTopicPartition(topic: topics.name(for: topic), partition: partition)
                    guard let high = try? await admin?.watermarks(of: partition, timeout: .seconds(15)).high else {
                        ends = nil
                        break probing
                    }
                    ends?[partition] = high
                }
            }
        }
        if let child = children[Self.name(service, instance)] {
            child.signal(SIGKILL)
            _ = await child.waitForExit(timeout: .seconds(10))
        }
        guard let arrived = ends else {
            try start(service, instance: instance)
            return nil
        }
        var unfinished = 0
        if FileManager.default.fileExists(atPath: "\(dataDirectory(service, instance: instance))/\(service).sqlite") {
            unfinished = try await store(service, instance: instance).read { db in
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
        try start(service, instance: instance)
        return unfinished
    }

    /// SIGTERM (a graceful stop), waits for the exit, then starts the instance again.
    func restartGracefully(_ service: String, instance: Int = 1) async throws {
        if let child = children[Self.name(service, instance)] {
            child.signal(SIGTERM)
            if await child.waitForExit(timeout: .seconds(30)) == nil {
                child.signal(SIGKILL)
                _ = await child.waitForExit(timeout: .seconds(10))
            }
        }
        try start(service, instance: instance)
    }

    /// Sends a signal to an instance (SIGSTOP, SIGCONT…).
    func signal(_ service: String, instance: Int = 1, _ signal: Int32) {
        children[Self.name(service, instance)]?.signal(signal)
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

    /// Output of an instance, for a failing test.
    func output(_ service: String, instance: Int = 1) -> String { children[Self.name(service, instance)]?.output ?? "" }

    /// A read-only connection to an instance's store.
    func store(_ service: String, instance: Int = 1) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        return try DatabaseQueue(path: "\(dataDirectory(service, instance: instance))/\(service).sqlite", configuration: configuration)
    }

    /// The groups of each service and the topics they read. Their committed offsets reach the
    /// end once the service has caught up: the groups shared by the instances commit where
    /// everything is published (intake, address-index) or delivered (notification); the
    /// consumers every instance runs (catalog copies, replicas) commit what they applied. (Intake's
    /// replica of the decisions reads only the partitions other instances decide: not here.)
    var consumerGroups: [(group: String, topics: [RegistryTopic])] {
        let audited = AuditService.auditedTopics
        return [
            (prefix + "registration-intake", [.registrationSubmitted]), (prefix + "registration-intake.catalog", [.addressCatalog]),
            (prefix + "address-index", [.registrationAccepted]), (prefix + "address-index.replica", [.registrationAccepted]),
            (prefix + "address-index.catalog", [.addressCatalog]),
            (prefix + "notification", [.addressChanged, .addressAlerts]), (prefix + "notification.events", [.addressChanged, .addressAlerts]),
            (prefix + "notification.catalog", [.addressCatalog]),
        ] + instanceNumbers("audit").flatMap { instance in
            // Each audit instance reads the audited topics and the log's order through groups of its own.
            let suffix = AuditService.instanceSuffix(dataDirectory: dataDirectory("audit", instance: instance))
            return [(prefix + "audit.read" + suffix, audited), (prefix + "audit.log" + suffix, [.auditLog])]
        }
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
            for instance in instanceNumbers(service) {
                let waiting = try? await store(service, instance: instance).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM outbox") ?? 0 }
                guard waiting == 0 else { return "\(Self.name(service, instance)): \(waiting.map(String.init) ?? "unreadable") rows in the outbox" }
            }
        }
        if services.contains("notification") {
            for instance in instanceNumbers("notification") {
                let deliveries = try? await store("notification", instance: instance).read {
                    try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM delivery WHERE status IN ('pending', 'retrying')") ?? 0
                }
                guard deliveries == 0 else {
                    return "\(Self.name("notification", instance)): \(deliveries.map(String.init) ?? "unreadable") deliveries pending or retrying"
                }
            }
        }
        var lagging: [String] = []
        for (group, read) in consumerGroups {
            guard let service = services.first(where: { group.hasPrefix(prefix + $0) }) else { continue }
            let partitions = read.flatMap { topic in (0..<self.partitions).map { KafkaTopicPartition(topic: topics.name(for: topic), partition: $0) } }
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

    /// How many messages `topics` hold, counted by reading them (a partition's end offset also
    /// counts the markers of producers' transactions, which are not messages).
    func messages(in topics: [RegistryTopic], _ admin: KafkaAdmin) async throws -> Int64 {
        Int64(try await read(topics, admin).count)
    }

    /// Every message of `topics`, read from the beginning to the ends they have now.
    func read(_ topics: [RegistryTopic], _ admin: KafkaAdmin) async throws -> [KafkaConsumerMessage] {
        var ends: [KafkaTopicPartition: Int64] = [:]
        for topic in topics {
            for partition in 0..<partitions {
                let tp = KafkaTopicPartition(topic: self.topics.name(for: topic), partition: partition)
                ends[tp] = try await admin.watermarks(of: tp).high
            }
        }
        var client = try TestBroker.clientConfiguration("stack-reader")
        client.bootstrapServers = bootstrapServers
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(client: client, groupID: TestBroker.uniqueName("stack-reader")),
            hooks: KafkaRebalanceHooks(startOffsets: { Dictionary(uniqueKeysWithValues: $0.map { ($0, KafkaStartOffset.beginning) }) }), logger: TestBroker.logger)
        defer { Task { await consumer.close() } }
        let wanted = Set(ends.filter { $0.value > 0 }.keys)
        guard !wanted.isEmpty else { return [] }
        let finalEnds = ends
        try await consumer.add(wanted)
        return try await withTimeout("reading \(topics.map(\.rawValue).joined(separator: ","))", .seconds(600)) { [consumer] in
            var received: [KafkaConsumerMessage] = []
            var done: Set<KafkaTopicPartition> = []
            for await batch in consumer.batches {
                received += batch.messages
                for (partition, end) in batch.endOffsets where end >= finalEnds[partition] ?? 0 { done.insert(partition) }
                for message in batch.messages where message.offset + 1 >= finalEnds[message.topicPartition] ?? 0 { done.insert(message.topicPartition) }
                if done.isSuperset(of: wanted) { break }
            }
            return received
        }
    }
}
