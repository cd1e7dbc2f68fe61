// notification as a real process on the broker, SIGKILLed while it delivers.

import Foundation
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
        let prefix = TestBroker.uniqueName("notification") + "."
        let topics = TopicNames(prefix: prefix)
        try await TestBroker.createTopics(RegistryTopic.allCases.map(topics.name(for:)), partitions: 3)
        let receiver = try await WebhookReceiver { _ in .after(.milliseconds(150), 204) }
        defer { receiver.stop() }
        let port = try ChildProcess.freePort()
        let environment = [
            "DATA_DIR": NSTemporaryDirectory() + "notification-kill-" + UUID().uuidString, "HTTP_PORT": "\(port)", "REGISTRY_JWT_SECRET": TestSecrets.jwt,
            "REGISTRY_TOPIC_PREFIX": prefix, "LOG_LEVEL": "warning", "WEBHOOK_RECEIVER_CONCURRENCY": "4", "WEBHOOK_RETRY_SCHEDULE": "200ms", "WEBHOOK_ALLOW_LOCAL": "true",
        ]
        var child = try ChildProcess("notification", environment: environment)
        let base = "http://127.0.0.1:\(port)"
        try await waitUntil("notification answers", timeout: .seconds(30)) { await httpGet(base + "/health/live")?.status == 200 }
        let token = try await F.token()
        let headers = ["Authorization": "Bearer \(token)", "X-Purpose": F.purpose, "Content-Type": "application/json"]
        let created = await httpRequest("POST", base + "/v1/subscriptions", headers: headers, body: Data(F.webhook(receiver.url).utf8))
        #expect(created?.status == 201, "\(created?.body ?? "no answer")")

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

        for threshold in [20, 60] {
            try await waitUntil("\(threshold) deliveries before the kill", timeout: .seconds(90)) { receiver.requests.count >= threshold }
            child.signal(SIGKILL)
            _ = await child.waitForExit(timeout: .seconds(10))
            child = try ChildProcess("notification", environment: environment)
        }
        try await waitUntil("every change delivered", timeout: .seconds(120)) { receiver.distinctIDs.count == messages.count }
        let operatorToken = try await F.token(.operator, "prometheus", scope: nil)
        let metrics = await httpGet(base + "/metrics", headers: ["Authorization": "Bearer \(operatorToken)"])?.body ?? ""
        for family in ["webhook_attempts_total", "webhook_delivered_total", "webhook_delivery_latency_seconds_bucket"] {
            let line = metrics.split(separator: "\n").first { $0.hasPrefix(family) }
            #expect(line != nil, "/metrics has \(family)")
            print("metrics: \(line ?? "missing \(family)")")
        }

        // A receiver that is down, with a person's later changes held behind the first: the
        // service waits for the retry time instead of spinning.
        let refusing = try RefusingPort()
        let down = await httpRequest("POST", base + "/v1/subscriptions", headers: headers, body: Data(F.webhook("http://127.0.0.1:\(refusing.port)/h").utf8))
        #expect(down?.status == 201)
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
        #expect(used < 0.5, "the delivery engine must not poll while nothing can be sent")
        await child.kill()

        let requests = receiver.requests.filter { !$0.id.hasPrefix("held-") }
        let distinct = Set(requests.map(\.id))
        let repeats = requests.count - distinct.count
        print("faults | SIGKILL notification mid-delivery | 2 kills | \(messages.count) webhooks | \(messages.count - distinct.count) | \(repeats) repeats (same webhook-id) | all delivered, in order")
        print("notification kill -9 ×2: \(requests.count) requests for \(messages.count) events; \(repeats) repeats (same webhook-id)")
        #expect(distinct == Set(messages.compactMap { $0.key == nil ? nil : try? RegistryEventDecoder().decodeAttributes(from: $0.value!).id }))
        #expect(repeats <= 2 * 4, "at most the 4 attempts in flight at each of the 2 kills are repeated")
        for id in distinct {
            let bodies = Set(requests.filter { $0.id == id }.map(\.body))
            #expect(bodies.count == 1, "a repeat of \(id) carries the same event")
        }
        for n in people.indices {
            let firstArrivals = requests.map(\.id).filter { $0.hasPrefix("kill-\(n)-") }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            #expect(firstArrivals == (1...4).map { "kill-\(n)-\($0)" }, "person \(n)'s changes in order")
        }
    }

    /// User + system CPU seconds a process has used (from /proc).
    static func cpuSeconds(_ pid: Int32) throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat[stat.range(of: ")")!.upperBound...].split(separator: " ")
        return (Double(fields[11])! + Double(fields[12])!) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
