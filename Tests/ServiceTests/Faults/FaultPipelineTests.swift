// The whole pipeline while every service is SIGKILLed again and again: the outcome is the one a
// run without faults produces.

import Audit
import Foundation
import GRDB
import Kafka
import RegistrySchema
import Testing
import TestSupport

/// CI size by default; `make faults` sets FAULT_PEOPLE=154000 (about 200,000 submissions).
private let faultPeople = Int(ProcessInfo.processInfo.environment["FAULT_PEOPLE"] ?? "") ?? 2_000

// Full size (make faults) delivers ~200,000 webhooks per stack after the submissions: hours, not minutes.
@Suite(.timeLimit(.minutes(faultPeople > 20_000 ? 180 : 15))) struct FaultPipelineTests {
    static let people = faultPeople
    static let killsPerService = Int(ProcessInfo.processInfo.environment["FAULT_KILLS"] ?? "") ?? 5

    func seed(_ stack: RegistryStack) async throws -> String {
        let seed = try ChildProcess("registryctl", arguments: ["seed", "--seed", "11", "--addresses", "400", "--people", "\(Self.people)"], environment: [
            "REGISTRY_TOPIC_PREFIX": stack.prefix,
        ])
        #expect(await seed.waitForExit(timeout: .seconds(600)) == 0, "\(seed.output)")
        return seed.output
    }

    func subscribe(_ stack: RegistryStack, _ receiver: WebhookReceiver) async throws {
        let token = try await NotificationFixtures.token()
        let answer = await httpRequest(
            "POST", stack.url("notification") + "/v1/subscriptions",
            headers: ["Authorization": "Bearer \(token)", "X-Purpose": "fault test", "Content-Type": "application/json"],
            body: Data(NotificationFixtures.webhook(receiver.url).utf8))
        #expect(answer?.status == 201, "\(answer?.body ?? "no answer")")
    }

    @Test func killingEveryServiceAgainAndAgainChangesNoOutcome() async throws {
        let admin = try KafkaAdmin(configuration: try TestBroker.clientConfiguration("faults"), logger: TestBroker.outageLogger)
        let (cleanReceiver, faultyReceiver) = (try await WebhookReceiver(), try await WebhookReceiver())
        let clean = try await RegistryStack(label: "clean")
        let faulty = try await RegistryStack(label: "faulty")
        defer {
            cleanReceiver.stop()
            faultyReceiver.stop()
        }
        try await clean.startAll()
        try await faulty.startAll()
        try await subscribe(clean, cleanReceiver)
        try await subscribe(faulty, faultyReceiver)

        let seeded = try await seed(clean)
        print("fault test input: \(seeded.split(separator: "\n").joined(separator: "; "))")
        // The faulty run: the same input while each service in turn is killed at a random moment.
        let killing = Task {
            var g = SystemRandomNumberGenerator()
            var kills = 0
            for _ in 0..<Self.killsPerService {
                for service in RegistryStack.services {
                    try await Task.sleep(for: .milliseconds(Int.random(in: 200...1_200, using: &g)))
                    try await faulty.killAndRestart(service)
                    kills += 1
                }
            }
            return kills
        }
        _ = try await seed(faulty)
        let kills = try await killing.value

        for (name, stack) in [("clean", clean), ("faulty", faulty)] {
            // At full size every one of ~200,000 changes is also delivered to a webhook.
            let started = ContinuousClock.now
            var reported = started
            try await waitUntil("the \(name) run has caught up", timeout: .seconds(max(300, Self.people / 20)), interval: .seconds(1)) {
                if ContinuousClock.now - reported >= .seconds(60) {
                    reported = .now
                    let behind: String
                    do { behind = try await stack.behind(admin) ?? "nothing" } catch { behind = "unknown (\(error))" }
                    print("fault test: \(name) run not caught up after \(ContinuousClock.now - started); behind: \(behind)")
                }
                return try await stack.caughtUp(admin)
            }
        }

        // Same decisions for every submission, same registrations in the index, no gaps.
        func rows(_ stack: RegistryStack, _ service: String, _ sql: String) async throws -> [[String]] {
            try await stack.store(service).read { db in
                try Row.fetchAll(db, sql: sql).map { row in row.databaseValues.map { "\($0)" } }
            }
        }
        let decisions = "SELECT source, id, status, sequence, reasons FROM intake_submission ORDER BY source, id"
        let periods = "SELECT iin, sequence, kind, rca, valid_from, valid_to FROM index_period ORDER BY iin, sequence"
        let people = "SELECT iin, sequence, open_permanent, open_temporary FROM index_person ORDER BY iin"
        let (cleanDecisions, faultyDecisions) = (try await rows(clean, "registration-intake", decisions), try await rows(faulty, "registration-intake", decisions))
        #expect(cleanDecisions.count > Self.people && cleanDecisions == faultyDecisions, "intake decided every submission the same way")
        #expect(try await rows(clean, "address-index", periods) == (try await rows(faulty, "address-index", periods)), "the index holds the same periods")
        #expect(try await rows(clean, "address-index", people) == (try await rows(faulty, "address-index", people)))
        #expect(try await rows(faulty, "address-index", "SELECT iin FROM index_pending").isEmpty, "no sequence gap is waiting")

        // The audit log verifies and holds every message of every audited topic exactly once.
        let audited = AuditService.auditedTopics
        let messages = try await faulty.messages(in: audited, admin)
        let (verification, records) = try await faulty.store("audit").read { db in
            (try AuditLedger(db).verify(verifier: RegistryStack.auditVerifier), try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_record") ?? 0)
        }
        #expect(verification.valid && records == messages, "audit: \(records) records for \(messages) messages, chain valid: \(verification.valid)")

        // Every change reached the agency's receiver; repeats only under the same webhook-id.
        let changes = try await faulty.messages(in: [.addressChanged], admin)
        let published = try await TestBroker.consume([faulty.topics.name(for: .addressChanged)], count: Int(changes))
        let changeIDs = Set(try published.map { try RegistryEventDecoder().decodeAttributes(from: $0.value ?? []).id })
        try await waitUntil("the receiver has every change", timeout: .seconds(120)) { faultyReceiver.distinctIDs.isSuperset(of: changeIDs) }
        let requests = faultyReceiver.requests
        let bodies = Dictionary(grouping: requests, by: \.id).mapValues { Set($0.map(\.body)) }
        for id in changeIDs { #expect(bodies[id]?.count == 1, "repeats of \(id) are the same event") }
        #expect(faultyReceiver.distinctIDs.count == cleanReceiver.distinctIDs.count, "as many changes delivered as without faults")

        let duplicated = requests.count - faultyReceiver.distinctIDs.count
        let lost = Int(messages - records) + changeIDs.subtracting(faultyReceiver.distinctIDs).count
        let same = cleanDecisions == faultyDecisions && verification.valid && lost == 0
        print("faults | SIGKILL each service in turn | \(kills) kills | \(cleanDecisions.count) submissions, \(messages) audited, \(changeIDs.count) webhooks | \(lost) | \(duplicated) webhook repeats (same id) | \(same ? "same as the no-fault run" : "DIFFERENT")")
        await clean.stopAll()
        await faulty.stopAll()
    }
}
