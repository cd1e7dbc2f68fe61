// The whole registry as processes on the broker: an agency's webhook delivery of a person's new
// address shows in that person's audit trail, with the agency and the purpose it subscribed for.

import Foundation
import GRDB
import JWTKit
import Kafka
import RegistrySchema
import ServiceRuntime
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(5))) struct DisclosureTrailTests {
    static func token(_ role: Role, _ sub: String, scope: String? = nil, org: String? = nil, sources: [String]? = nil) async throws -> String {
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: TestSecrets.jwt), digestAlgorithm: .sha256)
        return try await keys.sign(RegistryTokenClaims(sub: sub, role: role, scope: scope, org: org, expires: Date().addingTimeInterval(600), sources: sources))
    }

    @Test func aWebhookDeliveryShowsInTheCitizensTrailWithTheAgencyAndPurpose() async throws {
        let receiver = try await WebhookReceiver()
        defer { receiver.stop() }
        let stack = try await RegistryStack(label: "trail")
        try await stack.startAll()
        defer { Task { await stack.stopAll() } }

        let home = AddressUpserted(
            rca: RCA(rawValue: "9200001")!, kato: KATO(rawValue: "751110000")!, region: "Алматы", locality: "Алматы", street: "Абай даңғылы",
            building: "12", flat: "3", residential: true, owners: [])
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(client: KafkaClientConfiguration(bootstrapServers: stack.bootstrapServers, clientID: "trail")), logger: TestBroker.logger)
        _ = try await producer.send([try .event(
            CloudEvent(id: "trail-catalog-1", source: "/register", time: Timestamp(.now), data: home), topic: stack.topics.name(for: .addressCatalog), key: home.rca.rawValue)])
        try await waitUntil("intake knows the address", timeout: .seconds(60), interval: .milliseconds(300)) {
            (try? await stack.store("registration-intake").read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM address_catalog") }) == 1
        }

        let agency = try await Self.token(.agency, "990140000123", scope: "subscriptions:write address:read", org: "State Pension Fund")
        let purpose = "pension recalculation"
        let subscribed = await httpRequest(
            "POST", stack.url("notification") + "/v1/subscriptions",
            headers: ["Authorization": "Bearer \(agency)", "X-Purpose": purpose, "Content-Type": "application/json"],
            body: Data(NotificationFixtures.webhook(receiver.url).utf8))
        #expect(subscribed?.status == 201, "\(subscribed.map { "\($0.status) \($0.body)" } ?? "no answer")")

        let iin = IIN(rawValue: "860101300126")!
        let person = PersonDetails(iin: iin, surname: "Ахметов", givenName: "Арман", patronymic: nil, birthDate: CalendarDate("1986-01-01")!)
        let submission = try RegistryEventEncoder().encodeBytes(CloudEvent(
            id: "trail-1", source: "/egov/portal", time: Timestamp(.now),
            data: RegistrationSubmitted(kind: .permanent, person: person, rca: home.rca, validFrom: CalendarDate(utc: Date()))))
        let upstream = try await Self.token(.upstream, "egov-portal", sources: ["/egov/portal"])
        let posted = await httpRequest(
            "POST", stack.url("registration-intake") + "/v1/submissions",
            headers: ["Authorization": "Bearer \(upstream)", "Content-Type": "application/cloudevents+json"], body: Data(submission))
        #expect(posted?.status == 202, "\(posted.map { "\($0.status) \($0.body)" } ?? "no answer")")
        try await waitUntil("the agency's receiver got the change", timeout: .seconds(90), interval: .milliseconds(300)) { !receiver.requests.isEmpty }

        let citizen = try await Self.token(.citizen, iin.rawValue)
        var trail: [[String: Any]] = []
        try await waitUntil("the delivery is in the citizen's trail", timeout: .seconds(90), interval: .milliseconds(500)) {
            let answer = await httpGet(stack.url("audit") + "/v1/audit/subjects/\(iin.rawValue)", headers: ["Authorization": "Bearer \(citizen)"])
            let body = (answer?.body).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            trail = body?["records"] as? [[String: Any]] ?? []
            return trail.contains { $0["action"] as? String == "webhook.delivery" }
        }
        let delivery = try #require(trail.first { $0["action"] as? String == "webhook.delivery" })
        let actor = delivery["actor"] as? [String: Any]
        #expect(actor?["sub"] as? String == "990140000123" && actor?["org"] as? String == "State Pension Fund" && actor?["role"] as? String == "agency")
        #expect(delivery["purpose"] as? String == purpose)
        print("citizen's trail: \(trail.compactMap { $0["action"] as? String ?? $0["type"] as? String }.joined(separator: ", ")); the delivery by \(actor?["org"] as? String ?? "?") for \"\(purpose)\"")
        await stack.stopAll()
    }
}
