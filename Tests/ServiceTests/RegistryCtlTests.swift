// registryctl as a real process against the test broker.

import Foundation
import RegistrySchema
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(2))) struct RegistryCtlTests {
    @Test func topicsCreateMakesEveryDesignTopicAndIsIdempotent() async throws {
        let prefix = TestBroker.uniqueName("ctl") + "."
        let environment = ["REGISTRY_TOPIC_PREFIX": prefix, "KAFKA_BOOTSTRAP_SERVERS": try TestBroker.bootstrapServers()]
        let first = try ChildProcess("registryctl", arguments: ["topics", "create"], environment: environment)
        #expect(await first.waitForExit(timeout: .seconds(30)) == 0, "\(first.output)")
        let created = first.output.split(separator: "\n").filter { $0.hasPrefix("created") }
        #expect(created.count == RegistryTopic.allCases.count, "\(first.output)")
        #expect(first.output.contains("created  \(prefix)address.catalog.v1  partitions=12  cleanup.policy=compact"))
        #expect(first.output.contains("created  \(prefix)registration.accepted.v1  partitions=12  cleanup.policy=delete"))

        let second = try ChildProcess("registryctl", arguments: ["topics", "create"], environment: environment)
        #expect(await second.waitForExit(timeout: .seconds(30)) == 0)
        #expect(second.output.split(separator: "\n").filter { $0.hasPrefix("exists") }.count == RegistryTopic.allCases.count, "\(second.output)")

        let list = try ChildProcess("registryctl", arguments: ["topics", "list"], environment: environment)
        #expect(await list.waitForExit(timeout: .seconds(30)) == 0)
        let ours = list.output.split(separator: "\n").filter { $0.hasPrefix(prefix) }
        #expect(ours.count == RegistryTopic.allCases.count)
        #expect(ours.allSatisfy { $0.hasSuffix("partitions=12") })
    }

    /// The same seed publishes the same catalog and submissions; every kind of submission is there.
    @Test func seedPublishesADeterministicCatalogAndSubmissionStream() async throws {
        var outputs: [[String]] = []
        for run in 0..<2 {
            let prefix = TestBroker.uniqueName("seed\(run)") + "."
            let environment = ["REGISTRY_TOPIC_PREFIX": prefix, "KAFKA_BOOTSTRAP_SERVERS": try TestBroker.bootstrapServers()]
            let topics = try ChildProcess("registryctl", arguments: ["topics", "create", "--partitions", "2"], environment: environment)
            #expect(await topics.waitForExit(timeout: .seconds(30)) == 0)
            let seed = try ChildProcess("registryctl", arguments: ["seed", "--addresses", "60", "--people", "40", "--seed", "3"], environment: environment)
            #expect(await seed.waitForExit(timeout: .seconds(60)) == 0, "\(seed.output)")
            #expect(seed.output.contains("published 60 addresses to \(prefix)address.catalog.v1"), "\(seed.output)")
            let line = try #require(seed.output.split(separator: "\n").first { $0.contains("submissions to") })
            let count = try #require(Int(line.split(separator: " ")[1]))
            let submitted = try await TestBroker.consume([prefix + "registration.submitted.v1"], count: count)
            let events = submitted.compactMap { try? JSONSerialization.jsonObject(with: Data($0.value ?? [])) as? [String: Any] }
            let kinds = Set(events.compactMap { ($0["data"] as? [String: Any])?["kind"] as? String })
            #expect(kinds == ["permanent", "temporary", "deregistration"])
            let ids = events.compactMap { $0["id"] as? String }.sorted()
            outputs.append(seed.output.split(separator: "\n").map(String.init).filter { !$0.contains(prefix) } + ids)
            print("registryctl seed: \(seed.output.split(separator: "\n").joined(separator: "; "))")
        }
        #expect(outputs[0] == outputs[1], "the same seed gives the same submissions, ids included")
        let bad = try ChildProcess("registryctl", arguments: ["seed", "--addresses", "0"])
        #expect(await bad.waitForExit(timeout: .seconds(30)) == 64, "\(bad.output)")
    }

    @Test func anUnreachableBrokerExitsWith69() async throws {
        let child = try ChildProcess("registryctl", arguments: ["topics", "list", "--bootstrap-servers", "127.0.0.1:1"])
        #expect(await child.waitForExit(timeout: .seconds(30)) == 69, "\(child.output)")
        #expect(child.output.contains("did not answer"))
    }
}
