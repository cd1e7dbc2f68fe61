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
        #expect(created?.status == 201)
        let seed = try ChildProcess("registryctl", arguments: ["seed", "--seed", "21", "--addresses", "200", "--people", "1000"], environment: [
            "REGISTRY_TOPIC_PREFIX": stack.prefix, "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrapServers,
        ])
        #expect(await seed.waitForExit(timeout: .seconds(120)) == 0, "\(seed.output)")

        // Under load: the broker goes away while the seeded backlog is being worked through by
        // the index, notification and audit. Intake has decided it and sent its events, so its
        // outbox holds only what arrives over HTTP during the outage (its limit is checked below).
        try await waitUntil("intake decided the seeded submissions and sent its events", timeout: .seconds(120), interval: .milliseconds(200)) {
            try await stack.behind(admin, only: ["registration-intake"]) == nil
        }
        await broker.cut()
        let started = ContinuousClock.now
        for service in RegistryStack.services {
            try await waitUntil("\(service) reports the broker gone", timeout: .seconds(30)) {
                await httpGet(stack.url(service) + "/health/ready")?.status == 503
            }
        }
        // Intake keeps taking submissions into its outbox up to its limit, then answers 503.
        let upstream = try await NotificationFixtures.token(.upstream, "egov-portal", scope: nil, sources: ["/outage/http"])
        let people = NotificationFixtures.people(60, born: "1970-01-01")
        var accepted: [Int] = []
        var refusal: (status: Int, body: String)?
        for (n, person) in people.enumerated() {
            let answer = await httpRequest(
                "POST", stack.url("registration-intake") + "/v1/submissions",
                headers: ["Authorization": "Bearer \(upstream)", "Content-Type": "application/cloudevents+json"], body: Self.submission(n, iin: person))
            if answer?.status == 202 { accepted.append(n) } else { refusal = answer; break }
        }
        print("broker away: intake took \(accepted.count) submissions into its outbox, then answered \(refusal?.status ?? 0) \(refusal?.body.prefix(120) ?? "")")
        #expect(refusal?.status == 503 && accepted.count >= 40)
        // The outage lasts its set time; that is the scenario, not a guess at a condition.
        try await Task.sleep(until: started + .seconds(Self.outage))
        for service in RegistryStack.services {
            #expect(await httpGet(stack.url(service) + "/health/live")?.status == 200, "\(service) stayed up")
        }

        try await broker.restore()
        var behind: String? = "not looked yet"
        do {
            try await waitUntil("everything completed after the broker returned", timeout: .seconds(180), interval: .seconds(1)) {
                behind = try await stack.behind(admin)
                return behind == nil
            }
        } catch {
            Issue.record("\(error); still behind: \(behind ?? "-")")
            throw error
        }
        let (decided, pendingHTTP) = try await stack.store("registration-intake").read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM intake_submission WHERE source = '/outage/http' AND status != 'pending'") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM intake_submission WHERE status = 'pending'") ?? 0)
        }
        #expect(decided == accepted.count && pendingHTTP == 0, "every submission taken during the outage was decided")
        let audited = AuditService.auditedTopics
        let messages = try await stack.messages(in: audited, admin)
        let records = try await stack.store("audit").read { try Int64.fetchOne($0, sql: "SELECT COUNT(*) FROM audit_record") ?? 0 }
        #expect(records == messages)
        // (Occupancy alerts are routed too, but this subscription does not ask for them.)
        let (events, delivered) = try await stack.store("notification").read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM delivery") ?? 0, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM delivery WHERE status = 'delivered'") ?? 0)
        }
        #expect(receiver.distinctIDs.count == events && delivered == events, "every change reached the webhook")
        print("faults | broker away under load, whole pipeline | \(Self.outage) s outage | \(accepted.count) HTTP submissions + seed, \(messages) audited | \(events - receiver.distinctIDs.count + accepted.count - decided) | 0 | all stayed up and not ready; intake 503 at its outbox limit; all completed")
        await stack.stopAll()
    }
}
