// The broker restarts empty (its in-memory log is gone): services notice and say so, do not
// crash or start over, and the documented recovery brings the agencies' topics back.

import Foundation
import GRDB
import Kafka
import RegistrySchema
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(6))) struct BrokerLossTests {
    func eventIDs(_ topic: String, count: Int64, broker: String) async throws -> Set<String> {
        let messages = try await TestBroker.consume([topic], count: Int(count), bootstrapServers: broker)
        return Set(try messages.compactMap { $0.value }.map { try RegistryEventDecoder().decodeAttributes(from: $0).id })
    }

    @Test func afterALostLogTheServicesSaySoAndRepublishingRestoresTheAgenciesTopics() async throws {
        let broker = try await PrivateBroker()
        let admin = try KafkaAdmin(configuration: KafkaClientConfiguration(bootstrapServers: broker.bootstrapServers, clientID: "loss"), logger: TestBroker.outageLogger)
        let stack = try await RegistryStack(label: "loss", bootstrapServers: broker.bootstrapServers)
        try await stack.startAll()
        let ctl = ["REGISTRY_TOPIC_PREFIX": stack.prefix, "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrapServers]
        let seed = try ChildProcess("registryctl", arguments: ["seed", "--seed", "31", "--addresses", "200", "--people", "500"], environment: ctl)
        #expect(await seed.waitForExit(timeout: .seconds(120)) == 0, "\(seed.output)")
        try await waitUntil("the pipeline caught up", timeout: .seconds(120), interval: .seconds(1)) { try await stack.caughtUp(admin) }
        let changedTopic = stack.topics.name(for: .addressChanged)
        let changes = try await stack.messages(in: [.addressChanged], admin)
        let before = try await eventIDs(changedTopic, count: changes, broker: broker.bootstrapServers)

        // The broker comes back empty; the topics are created again (the compose job does that).
        try await broker.restartEmpty()
        let topics = try ChildProcess("registryctl", arguments: ["topics", "create", "--partitions", "3"], environment: ctl)
        #expect(await topics.waitForExit(timeout: .seconds(60)) == 0, "\(topics.output)")
        for service in RegistryStack.services {
            try await waitUntil("\(service) says the broker lost its log", timeout: .seconds(90), interval: .milliseconds(500)) {
                stack.output(service).contains("lost its log")
            }
            #expect(await httpGet(stack.url(service) + "/health/live")?.status == 200, "\(service) did not crash")
        }
        let operatorToken = try await NotificationFixtures.token(.operator, "prometheus", scope: nil)
        let metrics = await httpGet(stack.url("address-index") + "/metrics", headers: ["Authorization": "Bearer \(operatorToken)"])?.body ?? ""
        #expect(metrics.contains(#"engine_offsets_beyond_end_total{service="address-index"}"#), "the loss shows in the metrics")
        #expect(try await stack.messages(in: [.addressChanged], admin) == 0, "nothing was reprocessed from zero")

        // Recovery (docs/operations.md): republish intake's accepted history, rebuild the index.
        let republish = try ChildProcess("registryctl", arguments: ["republish", "--data-dir", "\(stack.root)/registration-intake"], environment: ctl)
        #expect(await republish.waitForExit(timeout: .seconds(120)) == 0, "\(republish.output)")
        print("recovery: \(republish.output.split(separator: "\n").last ?? "")")
        try await stack.replay("address-index")
        try await waitUntil("the agencies' changes are back", timeout: .seconds(120), interval: .seconds(1)) {
            try await stack.messages(in: [.addressChanged], admin) >= changes
        }
        let after = try await eventIDs(changedTopic, count: try await stack.messages(in: [.addressChanged], admin), broker: broker.bootstrapServers)
        #expect(after == before, "address.changed holds the same events, with the same ids, as before the loss")
        print("faults | broker restarted empty | log lost | \(before.count) agency changes | \(before.subtracting(after).count) | 0 | noticed (logs, metrics), no crash, restored by republish + rebuild")
        await stack.stopAll()
    }
}
