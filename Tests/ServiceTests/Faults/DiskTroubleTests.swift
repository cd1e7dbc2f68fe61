// intake on a store that fills up and turns read-only: not ready, clear 503s, no corruption,
// everything decided once the space is back.

import Foundation
import GRDB
import Kafka
import RegistrySchema
import Synchronization
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(5))) struct DiskTroubleTests {
    /// Runs mount/umount; the test needs root (as make test has here) to mount a small tmpfs.
    @discardableResult
    static func mount(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0] == "umount" ? "/usr/bin/umount" : "/usr/bin/mount")
        process.arguments = Array(arguments.dropFirst())
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    static func submission(_ id: String) -> Data {
        Data(#"{"specversion":"1.0","id":"\#(id)","source":"/egov/portal","type":"kz.registry.registration.submitted.v1","time":"2026-11-25T09:00:00Z","data":{"kind":"permanent","person":{"iin":"860101300126","surname":"A","givenName":"B","birthDate":"1986-01-01"},"rca":"1000000000001","validFrom":"2026-11-25"}}"#.utf8)
    }

    @Test func aFullOrReadOnlyStoreMakesIntakeNotReadyAndRefuseWorkThenItRecovers() async throws {
        try await FaultRow.measure("store full, then read-only (tmpfs)", injected: "1 MiB full, then read-only at start") { row in
            try await run(row)
        }
    }

    func run(_ row: FaultRow) async throws -> String {
        let directory = NSTemporaryDirectory() + "disk-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try #require(
            try Self.mount(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", directory]) == 0,
            "This test mounts a 1 MiB tmpfs to fill the store and needs root (make test runs as root here).")
        defer { try? Self.mount(["umount", "-l", directory]) }

        let prefix = TestBroker.uniqueName("disk") + "."
        let topics = TopicNames(prefix: prefix)
        try await TestBroker.createTopics(RegistryTopic.allCases.map(topics.name(for:)), partitions: 3)
        let port = try ChildProcess.freePort()
        let intake = try ChildProcess("registration-intake", environment: [
            "REGISTRY_TOPIC_PREFIX": prefix, "DATA_DIR": directory, "HTTP_PORT": "\(port)", "REGISTRY_JWT_SECRET": TestSecrets.jwt, "LOG_LEVEL": "warning",
        ])
        defer { Task { await intake.kill() } }
        let base = "http://127.0.0.1:\(port)"
        try await waitUntil("intake answers", timeout: .seconds(30)) { await httpGet(base + "/health/live")?.status == 200 }
        let token = try await NotificationFixtures.token(.upstream, "egov-portal", scope: nil, sources: ["/egov/portal"])
        let headers = ["Authorization": "Bearer \(token)", "Content-Type": "application/cloudevents+json"]

        // Fill it: a catalog and thousands of submissions do not fit in 1 MiB.
        let seed = try ChildProcess("registryctl", arguments: ["seed", "--seed", "4", "--addresses", "300", "--people", "4000"], environment: ["REGISTRY_TOPIC_PREFIX": prefix])
        try #require(await seed.waitForExit(timeout: .seconds(120)) == 0, "\(seed.output)")
        let line = try #require(seed.output.split(separator: "\n").first { $0.contains("submissions to") })
        let submitted = try #require(Int(line.split(separator: " ")[1]))

        var full = ""
        try await waitUntil("the full store makes intake not ready", timeout: .seconds(60), interval: .milliseconds(200)) {
            guard let ready = await httpGet(base + "/health/ready"), ready.status == 503 else { return false }
            full = ready.body
            return true
        }
        // Submissions still reach Kafka (nothing to store but the poster's name, which may fit);
        // if even that fails, the answer is a clear 503.
        let posted = await httpRequest("POST", base + "/v1/submissions", headers: headers, body: Self.submission("disk-full-1"))
        print("disk full: /health/ready → 503 \(full); POST /v1/submissions → \(posted?.status ?? 0) \(posted?.body ?? "")")
        row.check(full.contains(#""consumers":"failing""#), "deciding did not stop while full: \(full)")
        row.check(
            posted?.status == 202 || (posted?.status == 503 && posted?.body.contains("cannot write to its store") == true),
            "POST while full answered \(posted?.status ?? 0) \(posted?.body.prefix(120) ?? "")")
        let live = await httpGet(base + "/health/live")?.status
        row.check(live == 200, "the process did not stay up while full")

        // Space returns: intake resumes by itself and decides every submission exactly once.
        try #require(try Self.mount(["mount", "-o", "remount,size=64m", directory]) == 0)
        var configuration = Configuration()
        configuration.readonly = true
        let store = try DatabaseQueue(path: directory + "/registration-intake.sqlite", configuration: configuration)
        try await waitUntil("every submission is decided", timeout: .seconds(120), interval: .milliseconds(500)) {
            try await store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM intake_submission WHERE source = '/demo/seed' AND status != 'pending'") ?? 0 } >= submitted
        }
        try await waitUntil("ready again", timeout: .seconds(30)) { await httpGet(base + "/health/ready")?.status == 200 }
        let (decided, integrity) = try await store.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM intake_submission WHERE source = '/demo/seed'") ?? 0, try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "")
        }
        row.check(decided == submitted, "\(decided) of \(submitted) seeded submissions in the store")
        row.check(integrity == "ok", "integrity check: \(integrity)")

        // Read-only (a tmpfs cannot turn read-only under open writers, so across a restart): the
        // service refuses to start, naming its store; writable again, it starts where it was.
        await intake.kill()
        try store.close()  // even a reader holds the WAL index open for writing
        try #require(try Self.mount(["mount", "-o", "remount,ro", directory]) == 0)
        let readOnly = try ChildProcess("registration-intake", environment: [
            "REGISTRY_TOPIC_PREFIX": prefix, "DATA_DIR": directory, "HTTP_PORT": "\(port)", "REGISTRY_JWT_SECRET": TestSecrets.jwt, "LOG_LEVEL": "warning",
        ])
        // SQLite opens a read-only file for reading: the service comes up, says its store is
        // failing and refuses writes with a clear 503 (or, if it cannot even open it, exits naming it).
        var readiness = ""
        try await waitUntil("the service on a read-only store reports it", timeout: .seconds(30), interval: .milliseconds(200)) {
            guard readOnly.process.isRunning else { return true }
            guard let ready = await httpGet(base + "/health/ready"), ready.status == 503 else { return false }
            readiness = ready.body
            return true
        }
        if readOnly.process.isRunning {
            let posted = await httpRequest("POST", base + "/v1/submissions", headers: headers, body: Self.submission("disk-ro-1"))
            print("read-only store: /health/ready → 503 \(readiness); POST → \(posted?.status ?? 0) \(posted?.body ?? "")")
            row.check(readiness.contains(#""store":"failing""#), "read-only: readiness does not name the store: \(readiness)")
            row.check(
                posted?.status == 503 && posted?.body.contains("cannot write to its store") == true,
                "read-only: POST answered \(posted?.status ?? 0) \(posted?.body.prefix(120) ?? "")")
            await readOnly.kill()
        } else {
            print("read-only store: exit \(readOnly.process.terminationStatus): \(readOnly.output.split(separator: "\n").last ?? "")")
            row.check(readOnly.output.contains(directory), "read-only: the refusal does not name the store")
        }
        try #require(try Self.mount(["mount", "-o", "remount,rw", directory]) == 0)
        let again = try ChildProcess("registration-intake", environment: [
            "REGISTRY_TOPIC_PREFIX": prefix, "DATA_DIR": directory, "HTTP_PORT": "\(port)", "REGISTRY_JWT_SECRET": TestSecrets.jwt, "LOG_LEVEL": "warning",
        ])
        defer { Task { await again.kill() } }
        try await waitUntil("ready after the store is writable again", timeout: .seconds(60)) { await httpGet(base + "/health/ready")?.status == 200 }
        let takenAgain = await httpRequest("POST", base + "/v1/submissions", headers: headers, body: Self.submission("disk-ok-1"))?.status
        row.check(takenAgain == 202, "writable again: a submission was answered \(takenAgain ?? 0)")
        // Ready means caught up on what the group assigned: the killed process stays a member until
        // its session ends (members never leave), and until then it holds part of the partitions.
        var after = 0
        try? await waitUntil("every seeded submission decided after the restart", timeout: .seconds(60), interval: .milliseconds(500)) {
            let reader = try DatabaseQueue(path: directory + "/registration-intake.sqlite", configuration: configuration)
            defer { try? reader.close() }
            after = try await reader.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM intake_submission WHERE source = '/demo/seed'") ?? 0 }
            return after == submitted
        }
        row.check(after == submitted, "\(after) of \(submitted) seeded submissions in the store after the restart")
        try await waitUntil("intake has sent its decisions", timeout: .seconds(60), interval: .milliseconds(500)) {
            let reader = try DatabaseQueue(path: directory + "/registration-intake.sqlite", configuration: configuration)
            defer { try? reader.close() }
            return try await reader.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM outbox") ?? 1 } == 0
        }
        await again.kill()

        // Decided once, as the outputs show it: one decision event per seeded submission, counted
        // on registration.accepted and .rejected by submission; repeats of an event by its id.
        let seeded = try await EventTally.read([topics.name(for: .registrationSubmitted)], id: EventTally.submissionKey)
        let decisions = Mutex<[String: Set<String>]>([:])
        let outputs = try await EventTally.read([topics.name(for: .registrationAccepted), topics.name(for: .registrationRejected)], inspect: { message in
            guard let decision = try EventTally.decision(message) else { return }
            decisions.withLock { _ = $0[decision.submission, default: []].insert(decision.id) }
        })
        let decisionsBySubmission = decisions.withLock { $0 }
        let seedInputs = seeded.ids.filter { $0.hasPrefix("/demo/seed ") }
        row.check(seedInputs.count == submitted, "the topic holds \(seedInputs.count) seeded submissions, the seed said \(submitted)")
        let twice = decisionsBySubmission.values.filter { $0.count > 1 }.count
        row.check(twice == 0, "\(twice) submissions decided more than once")
        row.check(outputs.differing.isEmpty, "\(outputs.differing.count) repeated decision ids carry different events")
        row.messages = "\(seedInputs.count) seeded submissions, \(outputs.messages) decision messages"
        row.lost = seedInputs.subtracting(decisionsBySubmission.keys).count
        row.duplicated(outputs.repeats, "decision repeats (same id), \(twice) decided twice")
        return "not ready while full, refused writes read-only; integrity \(integrity), each decided once after"
    }
}
