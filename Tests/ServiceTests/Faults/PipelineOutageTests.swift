// The broker goes away under load with the whole pipeline running, then comes back.

import Audit
import Foundation
import GRDB
import Kafka
import RegistrySchema
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(6))) struct PipelineOutageTests {
    /// 20 s in make test; make faults sets FAULT_OUTAGE_SECONDS=30.
    static let outage = Int(ProcessInfo.processInfo.environment["FAULT_OUTAGE_SECONDS"] ?? "") ?? 20

    static func submission(_ n: Int, iin: IIN) -> Data {
        Data(#"{"specversion":"1.0","id":"outage-\#(n)","source":"/outage/http","type":"kz.registry.registration.submitted.v1","time":"2026-11-25T09:00:00Z","data":{"kind":"permanent","person":{"iin":"\#(iin.rawValue)","surname":"A","givenName":"B","birthDate":"\#(iin.birthDate!)"},"rca":"1000000000001","validFrom":"2026-11-25"}}"#.utf8)
    }

    @Test func everyServiceStaysUpIsNotReadyAndEverythingCompletesWhenTheBrokerReturns() async throws {
        try await FaultRow.measure("broker away under load, whole pipeline", injected: "\(Self.outage) s outage") { row in
            try await run(row)
        }
    }

    func run(_ row: FaultRow) async throws -> String {
        let broker = try await PrivateBroker()
        let admin = try KafkaAdmin(configuration: KafkaClientConfiguration(bootstrapServers: broker.bootstrapServers, clientID: "outage"), logger: TestBroker.outageLogger)
        let receiver = try await WebhookReceiver()
        defer { receiver.stop() }
        let stack = try await RegistryStack(label: "outage", bootstrapServers: broker.bootstrapServers, environment: ["INTAKE_OUTBOX_LIMIT": "40", "LOG_LEVEL": "critical"])
        try await stack.startAll()
        let agency = try await NotificationFixtures.token()
        let created = await httpRequest(
            "POST", stack.url("notification") + "/v1/subscriptions",
            headers: ["Authorization": "Bearer \(agency)", "X-Purpose": "outage test", "Content-Type": "application/json"],
            body: Data(NotificationFixtures.webhook(receiver.url).utf8))
        try #require(created?.status == 201, "the subscription was not created")
        let seed = try ChildProcess("registryctl", arguments: ["seed", "--seed", "21", "--addresses", "200", "--people", "1000"], environment: [
            "REGISTRY_TOPIC_PREFIX": stack.prefix, "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrapServers,
        ])
        try #require(await seed.waitForExit(timeout: .seconds(120)) == 0, "\(seed.output)")

        // Under load: the broker goes away while the seeded backlog is being worked through by
        // the index, notification and audit. Intake has decided it and sent its events, so its
        // outbox holds only what arrives over HTTP during the outage (its limit is checked below).
        try await waitUntil("intake decided the seeded submissions and sent its events", timeout: .seconds(120), interval: .milliseconds(200)) {
            try await stack.behind(admin, only: ["registration-intake"]) == nil
        }
        let backlog = try await stack.behind(admin)
        row.check(backlog != nil, "nothing was left to do when the broker went away: not under load")
        await broker.cut()
        let started = ContinuousClock.now
        for service in RegistryStack.services {
            try await waitUntil("\(service) reports the broker gone", timeout: .seconds(30)) {
                await httpGet(stack.url(service) + "/health/ready")?.status == 503
            }
        }
        // Intake keeps taking submissions into its outbox up to its limit, then answers 503. A
        // refusal first asks the broker (for up to 1 s) whether it is back: the client waits
        // longer than that, as a real one would, on two cores busy with the other tests.
        let upstream = try await NotificationFixtures.token(.upstream, "egov-portal", scope: nil, sources: ["/outage/http"])
        let people = NotificationFixtures.people(60, born: "1970-01-01")
        var accepted: [Int] = []
        var refusal: (status: Int, body: String)?
        for (n, person) in people.enumerated() {
            let answer = await httpRequest(
                "POST", stack.url("registration-intake") + "/v1/submissions",
                headers: ["Authorization": "Bearer \(upstream)", "Content-Type": "application/cloudevents+json"], body: Self.submission(n, iin: person), timeout: 15)
            if answer?.status == 202 { accepted.append(n) } else { refusal = answer; break }
        }
        print("broker away: intake took \(accepted.count) submissions into its outbox, then answered \(refusal?.status ?? 0) \(refusal?.body.prefix(120) ?? "")")
        row.check(refusal?.status == 503 && accepted.count >= 40, "intake took \(accepted.count) into its outbox (limit 40), then answered \(refusal?.status ?? 0)")
        // The outage lasts its set time; that is the scenario, not a guess at a condition.
        try await Task.sleep(until: started + .seconds(Self.outage))
        for service in RegistryStack.services {
            let live = await httpGet(stack.url(service) + "/health/live")?.status
            row.check(live == 200, "\(service) did not stay up")
        }

        try await broker.restore()
        let outage = ContinuousClock.now - started
        row.injected = "\(outage.components.seconds) s outage"
        var behind: String? = "not looked yet"
        do {
            try await waitUntil("everything completed after the broker returned", timeout: .seconds(180), interval: .seconds(1)) {
                behind = try await stack.behind(admin)
                return behind == nil
            }
        } catch {
            row.fail("still behind after the broker returned: \(behind ?? "-")")
            throw error
        }

        // Against the inputs: every submission (seeded, or taken over HTTP during the outage)
        // decided, every audited message recorded, every change delivered.
        let submitted = try await EventTally.read([stack.topics.name(for: .registrationSubmitted)], bootstrapServers: broker.bootstrapServers, id: EventTally.submissionKey)
        let takenOverHTTP = Set(accepted.map { "/outage/http outage-\($0)" })
        let decidedIDs = Set(try await stack.store("registration-intake").read { db in
            try Row.fetchAll(db, sql: "SELECT source, id FROM intake_submission WHERE status != 'pending'").map { "\($0["source"] as String) \($0["id"] as String)" }
        })
        // A submission without a readable source and id cannot be decided by name (it is dead-lettered).
        let named = submitted.ids.filter { !$0.hasPrefix("unreadable ") }
        let inputs = named.union(takenOverHTTP)
        let audited = AuditService.auditedTopics
        let messages = try await stack.messages(in: audited, admin)
        let records = try await stack.store("audit").read { try Int64.fetchOne($0, sql: "SELECT COUNT(*) FROM audit_record") ?? 0 }
        row.check(records <= messages, "\(records - messages) audit records more than messages")
        let outputTopics: [RegistryTopic] = [.registrationAccepted, .registrationRejected, .addressChanged, .addressCurrent, .addressAlerts, .accessLogged, .notificationOutcome, .deadLetter]
        let outputs = try await EventTally.read(outputTopics.map(stack.topics.name(for:)), bootstrapServers: broker.bootstrapServers, id: { try "\($0.topic) \(EventTally.cloudEventID($0))" })
        row.check(outputs.differing.isEmpty, "\(outputs.differing.count) repeated ids carry different events")
        let changes = try await EventTally.read([stack.topics.name(for: .addressChanged)], bootstrapServers: broker.bootstrapServers)
        try await waitUntil("the receiver has every change", timeout: .seconds(60)) { receiver.distinctIDs.isSuperset(of: changes.ids) }
        let requests = receiver.requests.count
        let delivered = receiver.distinctIDs

        row.messages = "\(accepted.count) HTTP submissions + \(submitted.ids.count - takenOverHTTP.count) seeded, \(messages) audited, \(changes.ids.count) webhooks"
        row.lost = inputs.subtracting(decidedIDs).count + Int(max(0, messages - records)) + changes.ids.subtracting(delivered).count
        row.duplicated(outputs.repeats + requests - delivered.count, "repeats (same id): \(outputs.repeats) on the topics, \(requests - delivered.count) webhooks")
        await stack.stopAll()
        return "all stayed up and not ready; intake 503 at its outbox limit (\(accepted.count) taken); all completed"
    }
}
