// The broker restarts empty (its in-memory log is gone): services notice and say so, do not
// crash or start over, and the documented recovery brings the agencies' topics back.

import Foundation
import GRDB
import Kafka
import RegistrySchema
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(6))) struct BrokerLossTests {
    @Test func afterALostLogTheServicesSaySoAndRepublishingRestoresTheAgenciesTopics() async throws {
        try await FaultRow.measure("broker restarted empty", injected: "log lost") { row in
            try await run(row)
        }
    }

    func run(_ row: FaultRow) async throws -> String {
        let broker = try await PrivateBroker()
        let admin = try KafkaAdmin(configuration: KafkaClientConfiguration(bootstrapServers: broker.bootstrapServers, clientID: "loss"), logger: TestBroker.outageLogger)
        let stack = try await RegistryStack(label: "loss", bootstrapServers: broker.bootstrapServers)
        try await stack.startAll()
        let ctl = ["REGISTRY_TOPIC_PREFIX": stack.prefix, "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrapServers]
        let seed = try ChildProcess("registryctl", arguments: ["seed", "--seed", "31", "--addresses", "200", "--people", "500"], environment: ctl)
        try #require(await seed.waitForExit(timeout: .seconds(120)) == 0, "\(seed.output)")
        try await waitUntil("the pipeline caught up", timeout: .seconds(120), interval: .seconds(1)) { try await stack.caughtUp(admin) }
        let changedTopic = stack.topics.name(for: .addressChanged)
        // Every message the agencies' topic holds, repeats included.
        let before = try await EventTally.read([changedTopic], bootstrapServers: broker.bootstrapServers)

        // The broker comes back empty; the topics are created again (the compose job does that).
        try await broker.restartEmpty()
        let topics = try ChildProcess("registryctl", arguments: ["topics", "create", "--partitions", "3"], environment: ctl)
        try #require(await topics.waitForExit(timeout: .seconds(60)) == 0, "\(topics.output)")
        for service in RegistryStack.services {
            try await waitUntil("\(service) says the broker lost its log", timeout: .seconds(90), interval: .milliseconds(500)) {
                stack.output(service).contains("lost its log")
            }
            let live = await httpGet(stack.url(service) + "/health/live")?.status
            row.check(live == 200, "\(service) crashed")
        }
        let operatorToken = try await NotificationFixtures.token(.operator, "prometheus", scope: nil)
        let metrics = await httpGet(stack.url("address-index") + "/metrics", headers: ["Authorization": "Bearer \(operatorToken)"])?.body ?? ""
        row.check(metrics.contains(#"engine_offsets_beyond_end_total{service="address-index"}"#), "the loss does not show in the metrics")
        let reprocessed = try await stack.messages(in: [.addressChanged], admin)
        row.check(reprocessed == 0, "\(reprocessed) changes reprocessed from zero")

        // Recovery (docs/operations.md): republish intake's accepted history, rebuild the index.
        let republish = try ChildProcess("registryctl", arguments: ["republish", "--data-dir", "\(stack.root)/registration-intake"], environment: ctl)
        try #require(await republish.waitForExit(timeout: .seconds(120)) == 0, "\(republish.output)")
        print("recovery: \(republish.output.split(separator: "\n").last ?? "")")
        // The running index takes the republished history in (as repeats of what it holds) before
        // it is stopped for the rebuild: what it then tells the group must not stop the rebuild
        // from publishing the agencies' topics again.
        try await waitUntil("the running index has read the republished history", timeout: .seconds(60), interval: .seconds(1)) {
            try await stack.behind(admin, only: ["address-index"]) == nil
        }
        try await stack.replay("address-index")
        // Done when the rebuilt index has applied the republished history and sent all it made.
        // A wait that runs out says what it was waiting for, with the index's last words.
        var waitingFor = "nothing read yet"
        do {
            try await waitUntil("the index has rebuilt and published", timeout: .seconds(120), interval: .seconds(1)) {
                let behind = try await stack.behind(admin, only: ["address-index"])
                let changes = try await stack.messages(in: [.addressChanged], admin)
                waitingFor = "\(changes) changes published; \(behind ?? "nothing behind")"
                return changes > 0 && behind == nil
            }
        } catch {
            let lines = stack.output("address-index").split(separator: "\n").suffix(60)
            print("---- address-index after the rebuild (\(waitingFor)):\n\(lines.joined(separator: "\n"))")
            throw error
        }
        let after = try await EventTally.read([changedTopic], bootstrapServers: broker.bootstrapServers)
        let extra = after.ids.subtracting(before.ids).count
        row.check(extra == 0, "\(extra) changes with ids that were not there before the loss")
        row.check(after.differing.isEmpty, "\(after.differing.count) repeated ids carry different events")
        row.messages = "\(before.ids.count) agency changes (\(before.messages) messages before, \(after.messages) after)"
        row.lost = before.ids.subtracting(after.ids).count
        row.duplicated(after.repeats, "repeats (same id) after the rebuild, \(before.repeats) before")
        await stack.stopAll()
        return "noticed (logs, metrics), no crash, restored by republish + rebuild"
    }
}
