// notification as a real process on the broker, SIGKILLed while it delivers.

import Foundation
import GRDB
import Kafka
import RegistrySchema
import ServiceRuntime
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(6))) struct NotificationCrashTests {
    typealias F = NotificationFixtures

    /// An agency subscribes over HTTP, changes arrive through Kafka, and the service is killed
    /// twice mid-delivery: every change reaches the receiver, a person's changes in order, and a
    /// repeat only as the same `webhook-id` (at most the attempts in flight at each kill).
    @Test func killedMidDeliveryItLosesNothingAndRepeatsOnlyWhatWasInFlight() async throws {
        try await FaultRow.measure("SIGKILL notification mid-delivery", injected: "2 kills") { row in
            try await run(row)
        }
    }

    func run(_ row: FaultRow) async throws -> String {
        let prefix = TestBroker.uniqueName("notification") + "."
        let topics = TopicNames(prefix: prefix)
        try await TestBroker.createTopics(RegistryTopic.allCases.map(topics.name(for:)), partitions: 3)
        let receiver = try await WebhookReceiver { _ in .after(.milliseconds(150), 204) }
        defer { receiver.stop() }
        let port = try ChildProcess.freePort()
        let dataDirectory = NSTemporaryDirectory() + "notification-kill-" + UUID().uuidString
        let environment = [
            "DATA_DIR": dataDirectory, "HTTP_PORT": "\(port)", "REGISTRY_JWT_SECRET": TestSecrets.jwt,
            "REGISTRY_TOPIC_PREFIX": prefix, "LOG_LEVEL": "warning", "WEBHOOK_RECEIVER_CONCURRENCY": "4", "WEBHOOK_RETRY_SCHEDULE": "200ms", "WEBHOOK_ALLOW_LOCAL": "true",
        ]
        var child = try ChildProcess("notification", environment: environment)
        let base = "http://127.0.0.1:\(port)"
        try await waitUntil("notification answers", timeout: .seconds(30)) { await httpGet(base + "/health/live")?.status == 200 }
        let token = try await F.token()
        let headers = ["Authorization": "Bearer \(token)", "X-Purpose": F.purpose, "Content-Type": "application/json"]
        let created = await httpRequest("POST", base + "/v1/subscriptions", headers: headers, body: Data(F.webhook(receiver.url).utf8))
        try #require(created?.status == 201, "\(created?.body ?? "no answer")")

        // 30 people, 4 changes each, published as address-index would.
        let people = F.people(30)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try TestBroker.clientConfiguration()), logger: TestBroker.logger)
        var messages: [KafkaProducerMessage] = []
        for sequence in 1...4 {
            for (n, person) in people.enumerated() {
                let message = try F.changed(person, sequence: sequence, change: sequence == 1 ? .registered : .moved, id: "kill-\(n)-\(sequence)")
                messages.append(KafkaProducerMessage(topic: topics.name(for: .addressChanged), key: message.key, value: message.value))
            }
        }
        _ = try await producer.send(messages)

        // Each kill lands while deliveries are under way; the store of the killed process shows
        // how many it left unfinished.
        var interrupted = 0
        for threshold in [20, 60] {
            try await waitUntil("\(threshold) deliveries before the kill", timeout: .seconds(90)) { receiver.requests.count >= threshold }
            child.signal(SIGKILL)
            _ = await child.waitForExit(timeout: .seconds(10))
            var configuration = Configuration()
            configuration.readonly = true
            let store = try DatabaseQueue(path: dataDirectory + "/notification.sqlite", configuration: configuration)
            let unfinished = try await store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM delivery WHERE status IN ('pending', 'retrying')") ?? 0 }
            try store.close()
            print("notification kill at \(threshold) requests: \(unfinished) deliveries unfinished")
            if unfinished > 0 { interrupted += 1 }
            child = try ChildProcess("notification", environment: environment)
        }
        row.injected = "2 kills, \(interrupted) mid-delivery"
        row.check(interrupted == 2, "\(2 - interrupted) kills found no delivery unfinished")
        let inputIDs = Set(try messages.map { try RegistryEventDecoder().decodeAttributes(from: $0.value ?? []).id })
        try await waitUntil("every change delivered", timeout: .seconds(120)) { receiver.distinctIDs.isSuperset(of: inputIDs) }
        let operatorToken = try await F.token(.operator, "prometheus", scope: nil)
        let metrics = await httpGet(base + "/metrics", headers: ["Authorization": "Bearer \(operatorToken)"])?.body ?? ""
        for family in ["webhook_attempts_total", "webhook_delivered_total", "webhook_delivery_latency_seconds_bucket"] {
            let line = metrics.split(separator: "\n").first { $0.hasPrefix(family) }
            row.check(line != nil, "/metrics lacks \(family)")
            print("metrics: \(line ?? "missing \(family)")")
        }

        // A receiver that is down, with a person's later changes held behind the first: the
        // service waits for the retry time instead of spinning.
        let refusing = try RefusingPort()
        let down = await httpRequest("POST", base + "/v1/subscriptions", headers: headers, body: Data(F.webhook("http://127.0.0.1:\(refusing.port)/h").utf8))
        try #require(down?.status == 201)
        let held = try (1...3).map { sequence in
            let message = try F.changed(people[0], sequence: 10 + sequence, change: .moved, id: "held-\(sequence)")
            return KafkaProducerMessage(topic: topics.name(for: .addressChanged), key: message.key, value: message.value)
        }
        _ = try await producer.send(held)
        try await waitUntil("the receiver got the held-back person's changes", timeout: .seconds(30)) { receiver.distinctIDs.contains("held-3") }
        try await Task.sleep(for: .seconds(1))  // past the 200 ms retry; the next is 6 h away
        let before = try Self.cpuSeconds(child.process.processIdentifier)
        try await Task.sleep(for: .seconds(3))
        let used = try Self.cpuSeconds(child.process.processIdentifier) - before
        print("notification CPU while a receiver is down with held-back deliveries: \(used) s in 3 s")
        row.check(used < 0.5, "the delivery engine used \(used) s of CPU in 3 s while nothing could be sent")
        await child.kill()

        let requests = receiver.requests.filter { !$0.id.hasPrefix("held-") }
        let distinct = Set(requests.map(\.id))
        let repeats = requests.count - distinct.count
        print("notification kill -9 ×2: \(requests.count) requests for \(messages.count) events; \(repeats) repeats (same webhook-id)")
        row.check(distinct.isSubset(of: inputIDs), "webhooks for events that were not sent: \(distinct.subtracting(inputIDs).prefix(3))")
        row.check(repeats <= 2 * 4, "\(repeats) repeats: more than the 4 attempts in flight at each of the 2 kills")
        var changedRepeats = 0
        for id in distinct where Set(requests.filter { $0.id == id }.map(\.body)).count != 1 { changedRepeats += 1 }
        row.check(changedRepeats == 0, "\(changedRepeats) repeats carry a different event")
        var outOfOrder = 0
        for n in people.indices {
            let firstArrivals = requests.map(\.id).filter { $0.hasPrefix("kill-\(n)-") }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            if firstArrivals != (1...4).map({ "kill-\(n)-\($0)" }) { outOfOrder += 1 }
        }
        row.check(outOfOrder == 0, "\(outOfOrder) people's changes arrived out of order")
        row.messages = "\(messages.count) webhooks"
        row.lost = inputIDs.subtracting(distinct).count
        row.duplicated(repeats, "repeats (same webhook-id)")
        return "all delivered, each person's in order"
    }

    /// User + system CPU seconds a process has used (from /proc).
    static func cpuSeconds(_ pid: Int32) throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat[stat.range(of: ")")!.upperBound...].split(separator: " ")
        return (Double(fields[11])! + Double(fields[12])!) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
