// registryctl as a real process against the test broker.

import Foundation
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(2))) struct RegistryCtlTests {
    @Test func topicsCreateMakesEveryDesignTopicAndIsIdempotent() async throws {
        let prefix = TestBroker.uniqueName("ctl") + "."
        let environment = ["REGISTRY_TOPIC_PREFIX": prefix, "KAFKA_BOOTSTRAP_SERVERS": try TestBroker.bootstrapServers()]
        let first = try ChildProcess("registryctl", arguments: ["topics", "create"], environment: environment)
        #expect(await first.waitForExit(timeout: .seconds(30)) == 0, "\(first.output)")
        let created = first.output.split(separator: "\n").filter { $0.hasPrefix("created") }
        #expect(created.count == 10, "\(first.output)")
        #expect(first.output.contains("created  \(prefix)address.catalog.v1  partitions=12  cleanup.policy=compact"))
        #expect(first.output.contains("created  \(prefix)registration.accepted.v1  partitions=12  cleanup.policy=delete"))

        let second = try ChildProcess("registryctl", arguments: ["topics", "create"], environment: environment)
        #expect(await second.waitForExit(timeout: .seconds(30)) == 0)
        #expect(second.output.split(separator: "\n").filter { $0.hasPrefix("exists") }.count == 10, "\(second.output)")

        let list = try ChildProcess("registryctl", arguments: ["topics", "list"], environment: environment)
        #expect(await list.waitForExit(timeout: .seconds(30)) == 0)
        let ours = list.output.split(separator: "\n").filter { $0.hasPrefix(prefix) }
        #expect(ours.count == 10)
        #expect(ours.allSatisfy { $0.hasSuffix("partitions=12") })
    }

    @Test func anUnreachableBrokerExitsWith69() async throws {
        let child = try ChildProcess("registryctl", arguments: ["topics", "list", "--bootstrap-servers", "127.0.0.1:1"])
        #expect(await child.waitForExit(timeout: .seconds(30)) == 69, "\(child.output)")
        #expect(child.output.contains("did not answer"))
    }
}
