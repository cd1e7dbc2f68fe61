// Every disclosure is recorded (docs/architecture.md §5.1): webhook deliveries, replays and owner alerts in the
// transaction that queues them; a subscription's watch-list, a submission's status and a
// certificate verification when they are answered. Answers with personal data are not cached.

import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import RegistrySchema
import ServiceRuntime
import Testing
import TestSupport
@testable import AddressIndex
@testable import Notification
@testable import RegistrationIntake

@Suite(.timeLimit(.minutes(3))) struct DisclosureRecordTests {
    typealias F = NotificationFixtures

    /// The access events in a service's outbox (no relay runs in these applications).
    static func accesses(_ application: ServiceApplication) async throws -> [AccessLogged] {
        let rows = try await application.environment.store.read { try Outbox.oldest(100_000, in: $0) }
        return try rows.filter { $0.message.topic.hasSuffix("access.logged.v1") }.map {
            try RegistryEventDecoder().decode(AccessLogged.self, from: $0.message.value ?? []).data
        }
    }

    static func token(_ role: Role, _ sub: String, scope: String? = nil, org: String? = "Test", sources: [String]? = nil) async throws -> String {
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: TestSecrets.jwt), digestAlgorithm: .sha256)
        return try await keys.sign(RegistryTokenClaims(sub: sub, role: role, scope: scope, org: org, expires: Date().addingTimeInterval(600), sources: sources))
    }

    @Test func webhookDeliveriesAndReplaysAreRecordedWithTheAgencyAndItsPurposeWhenQueued() async throws {
        let application = try await TestApplication.make(NotificationService.self, environment: ["WEBHOOK_ALLOW_LOCAL": "true"])
        try F.ownTheFixturesPartition(application)
        let token = try await F.token()
        let people = F.people(3)
        let subscription = try await application.http.test(.live) { client in
            try await F.subscribe(client, F.webhook("https://agency.example/h"), token: token)
        }
        try await F.apply(application, [try F.changed(people[0], sequence: 1, id: "e-1"), try F.changed(people[1], sequence: 1, id: "e-2")])
        // Queued and recorded together: both are in the store after the one transaction.
        let queued = try await application.environment.store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM delivery") ?? 0 }
        let recorded = try await Self.accesses(application)
        #expect(queued == 2)
        let delivery = try #require(recorded.first { $0.action == "webhook.delivery" }, "no access.logged for the queued deliveries: \(recorded)")
        #expect(delivery.actor == AccessActor(sub: F.agency, role: "agency", org: "Test agency"))
        #expect(delivery.purpose == F.purpose, "the purpose given when subscribing")
        #expect(Set(recorded.filter { $0.action == "webhook.delivery" }.flatMap(\.subjects)) == [people[0].rawValue, people[1].rawValue])
        #expect(delivery.service == "notification" && delivery.path == "/v1/subscriptions/\(subscription)")

        // A replay discloses the same again, under the purpose of the replay request (no engine
        // runs here: the deliveries are marked delivered so the replay queues them again).
        try await application.environment.store.write { try $0.execute(sql: "UPDATE delivery SET status = 'delivered'") }
        try await application.http.test(.live) { client in
            try await client.execute(
                uri: "/v1/subscriptions/\(subscription)/replay", method: .post, headers: F.headers(token, purpose: "recalculation after an appeal"),
                body: ByteBuffer(string: #"{"since":"\#(Timestamp(.now).adding(seconds: -600))"}"#)
            ) { #expect($0.status == .accepted) }
        }
        let replay = try #require(try await Self.accesses(application).first { $0.action == "webhook.replay" })
        #expect(replay.purpose == "recalculation after an appeal" && replay.actor.sub == F.agency)
        #expect(Set(replay.subjects) == [people[0].rawValue, people[1].rawValue])
    }

    @Test func anOwnerAlertIsRecordedForTheOwnerAndTheNewcomer() async throws {
        let (application, engine) = try await F.start(["OWNER_ALERT_WEBHOOK_URL": "https://sms-gateway.example/alerts", "OWNER_ALERT_WEBHOOK_SECRET": F.secret])
        engine.cancel()
        let people = F.people(2)
        let (newcomer, owner) = (people[0], people[1])
        let dwelling = F.address("900001")
        let encoder = RegistryEventEncoder()
        let upserted = CloudEvent(id: "catalog-1", source: "/register", time: Timestamp(.now), data: AddressUpserted(
            rca: dwelling.rca, kato: dwelling.kato, region: dwelling.region, locality: dwelling.locality, street: dwelling.street,
            building: dwelling.building, flat: nil, residential: true, owners: [owner]))
        let person = PersonDetails(iin: newcomer, surname: "Ахметов", givenName: "Арман", patronymic: nil, birthDate: newcomer.birthDate!)
        let accepted = CloudEvent(id: "accepted-1", source: "/registry/intake", time: Timestamp(.now), data: RegistrationAccepted(
            submission: SubmissionReference(source: "/egov/portal", id: "sub-1"), sequence: 1, kind: .permanent, person: person,
            address: dwelling, previousAddress: nil, validFrom: CalendarDate("2026-11-24")!, validUntil: nil, registration: nil, reason: nil))
        try await F.apply(application, [
            F.message("address.catalog.v1", key: dwelling.rca.rawValue, value: try encoder.encodeBytes(upserted)),
            F.message("registration.accepted.v1", key: newcomer.rawValue, value: try encoder.encodeBytes(accepted)),
        ], ownerAlerts: true)
        let alert = try #require(try await Self.accesses(application).first { $0.action == "owner-alert.delivery" })
        #expect(alert.actor.sub == "owner-alert-gateway" && alert.actor.org == "sms-gateway.example:443")
        #expect(Set(alert.subjects) == [owner.rawValue, newcomer.rawValue])
        #expect(alert.purpose != nil)
    }

    @Test func readingASubscriptionDisclosesItsWatchListAndIsRecordedUncached() async throws {
        let application = try await TestApplication.make(NotificationService.self)
        let token = try await F.token()
        let watched = F.people(2_500)
        try await application.http.test(.live) { client in
            let list = watched.map { #""\#($0.rawValue)""# }.joined(separator: ",")
            let id = try await F.subscribe(client, F.webhook("https://agency.example/h", filter: #"{"iins":[\#(list)]}"#), token: token)
            try await client.execute(uri: "/v1/subscriptions/\(id)", method: .get, headers: F.headers(token)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "no-store")
            }
        }
        let reads = try await Self.accesses(application).filter { $0.action == "subscription.read" }
        #expect(Set(reads.flatMap(\.subjects)) == Set(watched.map(\.rawValue)), "every watched IIN is a subject")
        #expect(reads.allSatisfy { $0.subjects.count <= 1_000 && $0.purpose == F.purpose }, "a long list is recorded in events of at most 1,000 subjects")
    }

    @Test func aSubmissionsStatusIsAReadRecordedForThePerson() async throws {
        let application = try await TestApplication.make(RegistrationIntakeService.self, environment: ["REGISTRY_TOPIC_PREFIX": TestBroker.uniqueName("status") + "."])
        let portal = try await Self.token(.upstream, "egov-portal", sources: ["/egov/portal"])
        let person = PersonDetails(iin: IIN(rawValue: "860101300126")!, surname: "Ахметов", givenName: "Арман", patronymic: nil, birthDate: CalendarDate("1986-01-01")!)
        let body = try RegistryEventEncoder().encodeBytes(CloudEvent(
            id: "status-1", source: "/egov/portal", time: Timestamp(.now),
            data: RegistrationSubmitted(kind: .permanent, person: person, rca: RCA(rawValue: "3000000000001")!, validFrom: CalendarDate("2026-11-24")!)))
        try await application.http.test(.live) { client in
            let headers: HTTPFields = [.authorization: "Bearer \(portal)", .contentType: "application/cloudevents+json"]
            try await client.execute(uri: "/v1/submissions", method: .post, headers: headers, body: ByteBuffer(bytes: body)) { #expect($0.status == .accepted) }
            try await client.execute(uri: "/v1/submissions/status-1?source=/egov/portal", method: .get, headers: headers) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "no-store")
            }
        }
        let read = try #require(try await Self.accesses(application).first { $0.action == "submission.status" })
        #expect(read.actor == AccessActor(sub: "egov-portal", role: "upstream", org: "Test"))
        #expect(read.subjects == ["860101300126"])
    }

    @Test func aCertificateVerificationIsRecordedWithWhoAskedAndJWKSIsCacheable() async throws {
        let application = try await TestApplication.make(AddressIndexService.self)
        let person = IIN(rawValue: "860101300126")!
        let home = AddressSnapshot(rca: RCA(rawValue: "500001")!, kato: KATO(rawValue: "751110000")!, region: "Алматы", locality: "Алматы", street: "Абай даңғылы", building: "10", flat: "4")
        let data = RegistrationAccepted(
            submission: SubmissionReference(source: "/t", id: "1"), sequence: 1, kind: .permanent,
            person: PersonDetails(iin: person, surname: "Ахметов", givenName: "Арман", patronymic: nil, birthDate: CalendarDate("1986-01-01")!),
            address: home, previousAddress: nil, validFrom: CalendarDate(utc: Date()).adding(days: -3), validUntil: nil, registration: nil, reason: nil)
        let value = try RegistryEventEncoder().encodeBytes(CloudEvent(id: "a1", source: "/registry/intake", time: Timestamp(.now), data: data))
        let projector = RegistrationProjector(topics: TopicNames(), source: "/registry/address-index", occupancyThreshold: 10, clock: .system, logger: TestBroker.logger)
        _ = try await application.environment.store.write { try projector.handle(value, store: IndexStore($0)) }
        let citizen = try await Self.token(.citizen, person.rawValue, org: nil)
        let bank = try await Self.token(.agency, "940140000385", org: "Halyk Bank")
        try await application.http.test(.live) { client in
            let certificate = try await client.execute(uri: "/v1/persons/\(person.rawValue)/certificate", method: .get, headers: [.authorization: "Bearer \(citizen)"]) { response in
                #expect(response.headers[.cacheControl] == "no-store", "a certificate is personal data")
                return (try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])?["certificate"] as? String
            }
            let body = ByteBuffer(data: try JSONSerialization.data(withJSONObject: ["certificate": try #require(certificate)]))
            try await client.execute(uri: "/v1/certificates/verify", method: .post, headers: [.contentType: "application/json"], body: body) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "no-store")
            }
            let asBank: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(bank)", HTTPField.Name("X-Purpose")!: "mortgage application"]
            try await client.execute(uri: "/v1/certificates/verify", method: .post, headers: asBank, body: body) { #expect($0.status == .ok) }
            try await client.execute(uri: "/.well-known/jwks.json", method: .get) { response in
                #expect(response.headers[.cacheControl]?.contains("max-age=") == true, "\(response.headers)")
            }
        }
        let verifications = try await Self.accesses(application).filter { $0.action == "certificate.verify" }
        #expect(verifications.count == 2)
        #expect(verifications.allSatisfy { $0.subjects == [person.rawValue] && $0.status == 200 })
        #expect(verifications.first?.actor.role == "anonymous", "without a token, who asked is the client address")
        #expect(verifications.last?.actor == AccessActor(sub: "940140000385", role: "agency", org: "Halyk Bank"))
        #expect(verifications.last?.purpose == "mortgage application")
    }
}
