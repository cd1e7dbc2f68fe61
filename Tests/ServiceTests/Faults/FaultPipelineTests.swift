// The whole pipeline while every service is SIGKILLed again and again: the outcome is the one a
// run without faults produces.

import Audit
import Foundation
import GRDB
import Kafka
import RegistrySchema
import Synchronization
import Testing
import TestSupport

/// CI size by default; `make faults` sets FAULT_PEOPLE=154000 (about 200,000 submissions).
private let faultPeople = Int(ProcessInfo.processInfo.environment["FAULT_PEOPLE"] ?? "") ?? 2_000

// Full size (make faults) delivers ~200,000 webhooks per stack after the submissions: hours, not minutes.
@Suite(.timeLimit(.minutes(faultPeople > 20_000 ? 180 : 15))) struct FaultPipelineTests {
    static let people = faultPeople
    static let killsPerService = Int(ProcessInfo.processInfo.environment["FAULT_KILLS"] ?? "") ?? 5

    func seed(_ stack: RegistryStack, _ row: FaultRow) async throws -> String {
        let seed = try ChildProcess("registryctl", arguments: ["seed", "--seed", "11", "--addresses", "400", "--people", "\(Self.people)"], environment: [
            "REGISTRY_TOPIC_PREFIX": stack.prefix,
        ])
        let exit = await seed.waitForExit(timeout: .seconds(600))
        row.check(exit == 0, "registryctl seed failed: \(seed.output.suffix(300))")
        return seed.output
    }

    func subscribe(_ stack: RegistryStack, _ receiver: WebhookReceiver, _ row: FaultRow) async throws {
        let token = try await NotificationFixtures.token()
        let answer = await httpRequest(
            "POST", stack.url("notification") + "/v1/subscriptions",
            headers: ["Authorization": "Bearer \(token)", "X-Purpose": "fault test", "Content-Type": "application/json"],
            body: Data(NotificationFixtures.webhook(receiver.url).utf8))
        row.check(answer?.status == 201, "the subscription was not created: \(answer?.body ?? "no answer")")
    }

    @Test func killingEveryServiceAgainAndAgainChangesNoOutcome() async throws {
        try await FaultRow.measure("SIGKILL each service in turn", injected: "\(Self.killsPerService * RegistryStack.services.count) kills") { row in
            try await run(row)
        }
    }

    func run(_ row: FaultRow) async throws -> String {
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
        try await subscribe(clean, cleanReceiver, row)
        try await subscribe(faulty, faultyReceiver, row)

        let seeded = try await seed(clean, row)
        print("fault test input: \(seeded.split(separator: "\n").joined(separator: "; "))")
        // The faulty run: the same input while each service in turn is killed at a random moment.
        // Each kill counts the work it interrupted, as the killed process's store shows it.
        let killing = Task {
            var g = SystemRandomNumberGenerator()
            var (kills, interrupted, untold) = (0, 0, 0)
            for _ in 0..<Self.killsPerService {
                for service in RegistryStack.services {
                    try await Task.sleep(for: .milliseconds(Int.random(in: 200...1_200, using: &g)))
                    let unfinished = try await faulty.killAndRestart(service, admin)
                    kills += 1
                    if let unfinished, unfinished > 0 { interrupted += 1 }
                    if unfinished == nil { untold += 1 }
                }
            }
            return (kills, interrupted, untold)
        }
        _ = try await seed(faulty, row)
        let (kills, interrupted, untold) = try await killing.value
        row.injected = "\(kills) kills, \(interrupted) with work in flight" + (untold > 0 ? " (\(untold) not told: the broker was too busy to give the ends)" : "")

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

        // The inputs, and what the faulty run put on its output topics, counted by event id (at
        // full size about a million messages).
        let reading = Duration.seconds(max(300, Self.people / 100))
        let submitted = try await EventTally.read([faulty.topics.name(for: .registrationSubmitted)], timeout: reading, id: EventTally.submissionKey)
        let decisions = Mutex<[String: Set<String>]>([:])
        let outputTopics: [RegistryTopic] = [.registrationAccepted, .registrationRejected, .addressChanged, .addressCurrent, .addressAlerts, .accessLogged, .notificationOutcome, .deadLetter]
        let outputs = try await EventTally.read(outputTopics.map(faulty.topics.name(for:)), timeout: reading, id: { try "\($0.topic) \(EventTally.cloudEventID($0))" }) { message in
            guard let decision = try EventTally.decision(message) else { return }
            decisions.withLock { _ = $0[decision.submission, default: []].insert(decision.id) }
        }
        let decided = decisions.withLock { $0 }
        // A submission without a readable source and id cannot be decided by name (it is dead-lettered).
        let named = submitted.ids.filter { !$0.hasPrefix("unreadable ") }
        let undecided = named.subtracting(decided.keys).count
        let decidedTwice = decided.values.filter { $0.count > 1 }.count
        row.check(decidedTwice == 0, "\(decidedTwice) submissions decided twice (different decision events)")
        row.check(outputs.differing.isEmpty, "\(outputs.differing.count) repeated ids carry different events: \(outputs.differing.sorted().prefix(3).joined(separator: ", "))")

        // The audit log verifies (ours, and an independent Python check) and holds every message of every audited topic exactly once.
        let audited = AuditService.auditedTopics
        let messages = try await faulty.messages(in: audited, admin)
        let (verification, records) = try await faulty.store("audit").read { db in
            (try AuditLedger(db).verify(verifier: RegistryStack.auditVerifier), try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_record") ?? 0)
        }
        row.check(verification.valid, "the audit log does not verify: \(verification.problems.prefix(3))")
        let independent = try await IndependentAuditCheck.run(store: faulty.root + "/audit/audit.sqlite", verifier: RegistryStack.auditVerifier)
        row.check(independent.status == 0, "the independent Python check of the audit log: \(independent.output)")
        row.check(records <= messages, "\(records - messages) audit records more than messages")

        // Every change reached the agency's receiver; repeats only under the same webhook-id.
        let changeIDs = Set(outputs.ids.compactMap { key -> String? in
            let prefix = faulty.topics.name(for: .addressChanged) + " "
            return key.hasPrefix(prefix) ? String(key.dropFirst(prefix.count)) : nil
        })
        try await waitUntil("the receiver has every change", timeout: .seconds(120)) { faultyReceiver.distinctIDs.isSuperset(of: changeIDs) }
        let requests = faultyReceiver.requests
        let delivered = faultyReceiver.distinctIDs
        let bodies = Dictionary(grouping: requests, by: \.id).mapValues { Set($0.map(\.body)) }
        let changedBodies = bodies.values.filter { $0.count > 1 }.count
        row.check(changedBodies == 0, "\(changedBodies) webhook repeats carry a different event")

        row.messages = "\(submitted.ids.count) submissions (\(submitted.ids.count - named.count) unreadable), \(messages) audited, \(changeIDs.count) webhooks"
        row.lost = undecided + Int(max(0, messages - records)) + changeIDs.subtracting(delivered).count
        row.duplicated(outputs.repeats + requests.count - delivered.count, "repeats (same id): \(outputs.repeats) on the topics, \(requests.count - delivered.count) webhooks")

        // The outcome a run without faults has: same decisions, periods, people and webhooks.
        func rows(_ stack: RegistryStack, _ service: String, _ sql: String) async throws -> [[String]] {
            try await stack.store(service).read { db in
                try Row.fetchAll(db, sql: sql).map { row in row.databaseValues.map { "\($0)" } }
            }
        }
        let decisionRows = "SELECT source, id, status, sequence, reasons FROM intake_submission ORDER BY source, id"
        let periods = "SELECT iin, sequence, kind, rca, valid_from, valid_to FROM index_period ORDER BY iin, sequence"
        let people = "SELECT iin, sequence, open_permanent, open_temporary FROM index_person ORDER BY iin"
        let cleanDecisions = try await rows(clean, "registration-intake", decisionRows)
        row.check(cleanDecisions.count > Self.people, "the no-fault run decided \(cleanDecisions.count) submissions for \(Self.people) people")
        row.check(cleanDecisions == (try await rows(faulty, "registration-intake", decisionRows)), "intake decided differently from the no-fault run")
        let samePeriods = try await rows(clean, "address-index", periods) == (try await rows(faulty, "address-index", periods))
        row.check(samePeriods, "the index holds other periods than the no-fault run")
        let samePeople = try await rows(clean, "address-index", people) == (try await rows(faulty, "address-index", people))
        row.check(samePeople, "the index holds other people than the no-fault run")
        let gaps = try await rows(faulty, "address-index", "SELECT iin FROM index_pending").count
        row.check(gaps == 0, "\(gaps) sequence gaps are waiting in the index")
        row.check(
            delivered.count == cleanReceiver.distinctIDs.count,
            "\(delivered.count) changes delivered, \(cleanReceiver.distinctIDs.count) without faults")
        await clean.stopAll()
        await faulty.stopAll()
        return "same as the no-fault run (decisions, periods, people, webhooks; audit log verified, ours and the Python check)"
    }
}
