// registryctl tail, lag, backup and replay as real processes against the test broker and a
// running address-index.

import Foundation
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(4))) struct RegistryCtlOperationsTests {
    func registryctl(_ arguments: [String], _ environment: [String: String], timeout: Duration = .seconds(60)) async throws -> (status: Int32?, output: String) {
        let child = try ChildProcess("registryctl", arguments: arguments, environment: environment)
        let status = await child.waitForExit(timeout: timeout)
        return (status, child.output)
    }

    @Test func tailLagBackupAndReplayWorkOnALiveSystem() async throws {
        let prefix = TestBroker.uniqueName("ops") + "."
        let dataDirectory = NSTemporaryDirectory() + "ops-index-" + UUID().uuidString
        var environment = [
            "REGISTRY_TOPIC_PREFIX": prefix, "KAFKA_BOOTSTRAP_SERVERS": try TestBroker.bootstrapServers(), "DATA_DIR": dataDirectory,
            "REGISTRY_JWT_SECRET": TestSecrets.jwt, "LOG_LEVEL": "info",
        ]
        #expect(try await registryctl(["topics", "create", "--partitions", "2"], environment).status == 0)
        let seed = try await registryctl(["seed", "--addresses", "60", "--people", "40", "--seed", "5"], environment)
        #expect(seed.status == 0, "\(seed.output)")

        // tail: decoded, IINs masked unless --reveal, stops at the end.
        let tail = try await registryctl(["tail", "registration.submitted.v1"], environment)
        #expect(tail.status == 0, "\(tail.output)")
        #expect(tail.output.contains("kz.registry.registration.submitted.v1") && tail.output.contains("message(s) from \(prefix)registration.submitted.v1"))
        #expect(tail.output.range(of: #"\d{6}\*\*\*\*\d{2}"#, options: .regularExpression) != nil, "IINs are masked")
        #expect(tail.output.range(of: #""iin" : "\d{12}""#, options: .regularExpression) == nil, "no whole IIN without --reveal")
        print("registryctl tail (first lines): \(tail.output.split(separator: "\n").prefix(4).joined(separator: " | "))")
        let revealed = try await registryctl(["tail", "registration.submitted.v1", "--reveal", "--limit", "1", "--raw"], environment)
        #expect(revealed.output.range(of: #""iin":"\d{12}""#, options: .regularExpression) != nil, "\(revealed.output)")
        #expect(try await registryctl(["tail", "no.such.topic"], environment).status == 66)

        // lag: one row per service, topic and partition the running index reads.
        environment["HTTP_PORT"] = "\(try ChildProcess.freePort())"
        let index = try ChildProcess("address-index", environment: environment)
        var lag = ""
        try await waitUntil("the index's catalog group shows in lag, caught up", timeout: .seconds(60), interval: .milliseconds(500)) {
            lag = try await registryctl(["lag"], environment).output
            let rows = lag.split(separator: "\n").filter { $0.hasPrefix("address-index") && $0.contains("address.catalog.v1") }
            return rows.count == 2 && rows.allSatisfy { $0.hasSuffix(" 0") }
        }
        print("registryctl lag:\n\(lag)")
        #expect(lag.contains("SERVICE") && lag.contains("PARTITION") && lag.contains("address-index: 0 behind"))

        // backup: an online, checked copy of the running index's store.
        let copy = NSTemporaryDirectory() + "ops-backup-" + UUID().uuidString + ".sqlite"
        let backup = try await registryctl(["backup", "address-index", copy, "--data-dir", dataDirectory], environment)
        #expect(backup.status == 0 && backup.output.contains("integrity ok"), "\(backup.output)")
        #expect(try await registryctl(["backup", "address-index", copy, "--data-dir", dataDirectory], environment).status == 73, "never overwrites")
        #expect(try await registryctl(["backup", "address-index", copy + "2", "--data-dir", "/nonexistent"], environment).status == 66)

        // replay: only projections; address-index is rebuilt from its topics.
        #expect(try await registryctl(["replay", "registration-intake"], environment).status == 64)
        await index.kill()
        let replay = try ChildProcess("registryctl", arguments: ["replay", "address-index"], environment: environment)
        try await waitUntil("the rebuilt index caught up with the catalog", timeout: .seconds(60)) {
            replay.output.contains("caught up: read \(prefix)address.catalog.v1 to the end")
        }
        #expect(replay.output.contains("--rebuild"), "\(replay.output)")
        await replay.kill()
    }
}
