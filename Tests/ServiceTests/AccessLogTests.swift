// Every answer that discloses personal data is audited before it leaves (docs/architecture.md §5.1, §6).

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import Kafka
import Prometheus
import RegistrySchema
import ServiceRuntime
import Testing
import TestSupport

/// A service with two disclosing routes: one subject in the path, and subjects the handler names.
enum DisclosingProbeService: RegistryService {
    static let descriptor = ServiceDescriptor(name: "disclosing-probe", summary: "test", defaultPort: 0)
    static let known = "860101300126"
    static let residents = ["860101300126", "790512400220"]

    static func parts(in environment: ServiceEnvironment) throws -> ServiceParts {
        ServiceParts(routes: { routes in
            let readers = AccessPolicy(.selfOnly(.citizen, parameter: .iin), .scope(.agency, .addressRead))
            routes.add(.get, "/v1/persons/:iin/registration", policy: readers, disclosing: Disclosure(action: "registration.read", subject: .iin)) {
                _, context, _ -> String in
                guard context.parameters.get("iin") == known else { throw Problem.notFound("No registration is known for this person.") }
                return "registered"
            }
            routes.add(.get, "/v1/addresses/:rca/residents", policy: AccessPolicy(.scope(.agency, .residentsRead)), disclosing: Disclosure(action: "residents.read", subject: .rca)) {
                _, _, caller -> String in
                caller.disclose(residents)
                return residents.joined(separator: ",")
            }
        })
    }
}

@Suite(.timeLimit(.minutes(3))) struct AccessLogTests {
    let prefix = TestBroker.uniqueName("access") + "."
    let citizen = DisclosingProbeService.known

    func application() async throws -> ServiceApplication {
        try await TestApplication.make(DisclosingProbeService.self, environment: ["REGISTRY_TOPIC_PREFIX": prefix])
    }

    func token(role: Role, sub: String, scope: String? = nil) async throws -> String {
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: TestSecrets.jwt), digestAlgorithm: .sha256)
        return try await keys.sign(RegistryTokenClaims(sub: sub, role: role, scope: scope, org: "Akimat of Astana", expires: Date().addingTimeInterval(600)))
    }

    /// The access events waiting in the service's outbox, decoded.
    func pendingAccessEvents(_ application: ServiceApplication) async throws -> [(key: [UInt8]?, event: CloudEvent<AccessLogged>)] {
        let rows = try await application.environment.store.read { try Outbox.oldest(10_000, in: $0) }
        let decoder = RegistryEventDecoder()
        return try rows.map { row in
            #expect(row.message.topic == prefix + "access.logged.v1")
            return (row.message.key, try decoder.decode(AccessLogged.self, from: row.message.value ?? []))
        }
    }

    /// The relay is not running here, so what is in the outbox when the response arrives was
    /// committed before it was sent: durable (docs/architecture.md §6). Then the relay publishes it to
    /// `access.logged.v1`, keyed by the actor.
    @Test func anAnswerLeavesOnlyAfterItsAccessEventIsDurableThenReachesTheTopic() async throws {
        let topic = prefix + "access.logged.v1"
        try await TestBroker.createTopics([topic], partitions: 1)
        let application = try await application()
        let agency = try await token(role: .agency, sub: "123456789012", scope: "address:read residents:read")
        let citizenToken = try await token(role: .citizen, sub: citizen)
        let rca = "0201500100000001"

        try await application.http.test(.live) { client in
            let purpose: HTTPFields = [.authorization: "Bearer \(agency)", HTTPField.Name("X-Purpose")!: "school enrolment"]
            try await client.execute(uri: "/v1/persons/\(citizen)/registration", method: .get, headers: purpose) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "no-store", "personal data must not be kept by caches")
                let events = try await pendingAccessEvents(application)
                #expect(events.count == 1, "the access event is committed before the response arrives")
                let access = try #require(events.first)
                #expect(access.key == Array("123456789012".utf8), "keyed by the actor's sub")
                #expect(access.event.source == "/registry/disclosing-probe")
                #expect(access.event.data.service == "disclosing-probe")
                #expect(access.event.data.actor == AccessActor(sub: "123456789012", role: "agency", org: "Akimat of Astana"))
                #expect(access.event.data.purpose == "school enrolment")
                #expect(access.event.data.action == "registration.read")
                #expect(access.event.data.subjects == [citizen])
                #expect(access.event.data.method == "GET")
                #expect(access.event.data.path == "/v1/persons/\(citizen)/registration")
                #expect(access.event.data.status == 200)
            }
            // A 404 to an admitted caller tells something about the person: it is logged too.
            try await client.execute(uri: "/v1/persons/790512400220/registration", method: .get, headers: purpose) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.cacheControl] == "no-store", "a 404 also tells something about the person")
                let events = try await pendingAccessEvents(application)
                #expect(events.last?.event.data.status == 404)
            }
            // A refused request discloses nothing and is not an access.
            try await client.execute(uri: "/v1/persons/790512400220/registration", method: .get, headers: [.authorization: "Bearer \(citizenToken)"]) { response in
                #expect(response.status == .forbidden)
                let events = try await pendingAccessEvents(application)
                #expect(events.count == 2)
            }
            // A citizen reading their own data: no purpose needed, recorded as null.
            try await client.execute(uri: "/v1/persons/\(citizen)/registration", method: .get, headers: [.authorization: "Bearer \(citizenToken)"]) { response in
                #expect(response.status == .ok)
                let access = try #require(try await pendingAccessEvents(application).last)
                #expect(access.event.data.actor.role == "citizen")
                #expect(access.event.data.purpose == nil)
            }
            // Subjects the handler names join the path's own.
            let residents: HTTPFields = [.authorization: "Bearer \(agency)", HTTPField.Name("X-Purpose")!: "tax audit of the dwelling"]
            try await client.execute(uri: "/v1/addresses/\(rca)/residents", method: .get, headers: residents) { response in
                #expect(response.status == .ok)
                let access = try #require(try await pendingAccessEvents(application).last)
                #expect(access.event.data.action == "residents.read")
                #expect(access.event.data.subjects == [rca] + DisclosingProbeService.residents)
            }
        }

        let committed = try await pendingAccessEvents(application)
        #expect(committed.count == 4)
        try await application.environment.relay.relayOnce()
        #expect(try await pendingAccessEvents(application).isEmpty, "the relay deletes rows once the broker acknowledged them")
        let published = try await TestBroker.consume([topic], count: committed.count)
        let decoder = RegistryEventDecoder()
        let events = try published.map { try decoder.decode(AccessLogged.self, from: $0.value ?? []) }
        #expect(events.map(\.id) == committed.map(\.event.id), "the topic holds exactly the committed events, in order")
        #expect(published.allSatisfy { $0.headers.contains { $0.key == "content-type" && $0.stringValue == "application/cloudevents+json" } })
        print("access log: \(events.count) disclosures, each committed before its response and then published to \(topic)")
    }

    /// Many lookups at once share commits and none is lost or doubled.
    @Test func concurrentLookupsAreEachRecordedOnce() async throws {
        let application = try await application()
        let agency = try await token(role: .agency, sub: "123456789012", scope: "address:read")
        let requests = 200
        try await application.http.test(.live) { client in
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<requests {
                    group.addTask {
                        let headers: HTTPFields = [.authorization: "Bearer \(agency)", HTTPField.Name("X-Purpose")!: "request \(index)"]
                        return try await client.execute(uri: "/v1/persons/\(citizen)/registration", method: .get, headers: headers) { $0.status }
                    }
                }
                for try await status in group { #expect(status == .ok) }
            }
        }
        let purposes = try await pendingAccessEvents(application).compactMap(\.event.data.purpose)
        #expect(purposes.count == requests)
        #expect(Set(purposes) == Set((0..<requests).map { "request \($0)" }))
    }

    /// When the access cannot be recorded the data is withheld: 503, and nothing of it in the body.
    @Test func anAccessThatCannotBeRecordedIsNotAnswered() async throws {
        let application = try await application()
        let agency = try await token(role: .agency, sub: "123456789012", scope: "address:read")
        try application.environment.store.close()
        try await application.http.test(.live) { client in
            let headers: HTTPFields = [.authorization: "Bearer \(agency)", HTTPField.Name("X-Purpose")!: "school enrolment"]
            try await client.execute(uri: "/v1/persons/\(citizen)/registration", method: .get, headers: headers) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] != nil)
                #expect(!String(buffer: response.body).contains("registered"))
            }
        }
    }
}
