// registryctl as a real process against the test broker.

import Foundation
import RegistrySchema
import Kafka
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
        // The test broker is one broker: replication factor 1, min.insync.replicas 1.
        #expect(first.output.contains("created  \(prefix)address.catalog.v1  partitions=12  cleanup.policy=compact  replication.factor=1  min.insync.replicas=1"))
        #expect(first.output.contains("created  \(prefix)registration.accepted.v1  partitions=12  cleanup.policy=delete"))

        let second = try ChildProcess("registryctl", arguments: ["topics", "create"], environment: environment)
        #expect(await second.waitForExit(timeout: .seconds(30)) == 0)
        #expect(second.output.split(separator: "\n").filter { $0.hasPrefix("exists") }.count == RegistryTopic.allCases.count, "\(second.output)")

        let list = try ChildProcess("registryctl", arguments: ["topics", "list"], environment: environment)
        #expect(await list.waitForExit(timeout: .seconds(30)) == 0)
        let ours = list.output.split(separator: "\n").filter { $0.hasPrefix(prefix) }
        #expect(ours.count == RegistryTopic.allCases.count)
        #expect(ours.allSatisfy { $0.contains("\tpartitions=12\t") })

        // --json: the same rows, for scripts; nothing else on standard output.
        let json = try ChildProcess("registryctl", arguments: ["topics", "list", "--json"], environment: environment, separateErrors: true)
        #expect(await json.waitForExit(timeout: .seconds(30)) == 0)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [[String: Any]])
        let mine = rows.filter { ($0["topic"] as? String)?.hasPrefix(prefix) == true }
        #expect(mine.count == RegistryTopic.allCases.count && mine.allSatisfy { $0["partitions"] as? Int == 12 && $0["replicationFactor"] as? Int == 1 })
    }

    /// docs/architecture.md §3: the IIN-keyed topics share one partition count; create keeps to the count the
    /// existing ones have, and refuses, saying why, when they differ.
    @Test func topicsCreateKeepsTheIINKeyedTopicsCoPartitioned() async throws {
        let prefix = TestBroker.uniqueName("copart") + "."
        let environment = ["REGISTRY_TOPIC_PREFIX": prefix, "KAFKA_BOOTSTRAP_SERVERS": try TestBroker.bootstrapServers()]
        try await TestBroker.createTopics([prefix + "registration.submitted.v1"], partitions: 6)
        let create = try ChildProcess("registryctl", arguments: ["topics", "create", "--partitions", "4", "--json"], environment: environment, separateErrors: true)
        #expect(await create.waitForExit(timeout: .seconds(30)) == 0, "\(create.output) \(create.errors)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(create.output.utf8)) as? [[String: Any]], "\(create.output)")
        let partitions = Dictionary(uniqueKeysWithValues: rows.map { (($0["topic"] as! String).dropFirst(prefix.count), $0["partitions"] as! Int) })
        #expect(partitions["registration.accepted.v1"] == 6 && partitions["address.current.v1"] == 6 && partitions["registration.rejected.v1"] == 6)
        #expect(partitions["address.catalog.v1"] == 4 && partitions["access.logged.v1"] == 4)
        #expect(create.errors.contains("the IIN-keyed topics that exist have 6 partitions"), "\(create.errors)")

        let other = TestBroker.uniqueName("mixed") + "."
        try await TestBroker.createTopics([other + "registration.submitted.v1"], partitions: 3)
        try await TestBroker.createTopics([other + "address.changed.v1"], partitions: 5)
        let refused = try ChildProcess("registryctl", arguments: ["topics", "create"], environment: ["REGISTRY_TOPIC_PREFIX": other], separateErrors: true)
        #expect(await refused.waitForExit(timeout: .seconds(30)) == 1)
        #expect(refused.output.isEmpty, "nothing on standard output: \(refused.output)")
        #expect(refused.errors.contains("address.changed.v1: 5, registration.submitted.v1: 3") && refused.errors.contains("Nothing was created"), "\(refused.errors)")
        let admin = try KafkaAdmin(configuration: try TestBroker.clientConfiguration("copart"), logger: TestBroker.logger)
        #expect(try await admin.listTopics().filter { $0.name.hasPrefix(other) }.count == 2, "nothing was created")

        let tooMany = try ChildProcess("registryctl", arguments: ["topics", "create", "--replication-factor", "3"], environment: environment, separateErrors: true)
        #expect(await tooMany.waitForExit(timeout: .seconds(30)) == 1)
        #expect(tooMany.errors.contains("replication factor 3 needs at least 3 brokers; the cluster has 1"), "\(tooMany.errors)")
    }

    @Test func versionAndErrorsOnStandardError() async throws {
        let version = try ChildProcess("registryctl", arguments: ["--version"], separateErrors: true)
        #expect(await version.waitForExit(timeout: .seconds(10)) == 0)
        #expect(version.output.hasPrefix("registryctl (librdkafka 2."), "\(version.output)")
        let lag = try ChildProcess("registryctl", arguments: ["lag", "--json", "--bootstrap-servers", "127.0.0.1:1"], separateErrors: true)
        #expect(await lag.waitForExit(timeout: .seconds(30)) == 69)
        #expect(lag.output.isEmpty && lag.errors.contains("did not answer"), "stdout: \(lag.output) stderr: \(lag.errors)")
        let schemas = try ChildProcess("registryctl", arguments: ["schema", "--json"], separateErrors: true)
        #expect(await schemas.waitForExit(timeout: .seconds(10)) == 0)
        #expect((try JSONSerialization.jsonObject(with: Data(schemas.output.utf8)) as? [String])?.contains("kz.registry.registration.submitted.v1") == true)
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
