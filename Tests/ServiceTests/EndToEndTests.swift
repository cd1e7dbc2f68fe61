// The whole path through the broker: submission → intake → address-index → HTTP answer.

import Foundation
import GRDB
import JWTKit
import Kafka
import RegistrySchema
import ServiceRuntime
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3))) struct EndToEndTests {
    @Test func aPublishedSubmissionBecomesVisibleInTheRegistrationLookup() async throws {
        let topics = TopicNames(prefix: TestBroker.uniqueName("e2e") + ".")
        try await TestBroker.createTopics(RegistryTopic.allCases.map(topics.name(for:)), partitions: 3)
        let flat = AddressUpserted(
            rca: RCA(rawValue: "8000000000001")!, kato: KATO(rawValue: "711110000")!, region: "Астана", locality: "Астана",
            street: "Кенесары көшесі", building: "5", flat: "12", residential: true, owners: [])
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try TestBroker.clientConfiguration()), logger: TestBroker.logger)
        _ = try await producer.send([try .event(CloudEvent(id: "c1", source: "/register", time: Timestamp(.now), data: flat), topic: topics.name(for: .addressCatalog), key: flat.rca.rawValue)])

        var services: [(name: String, port: Int, directory: String, process: ChildProcess)] = []
        for name in ["registration-intake", "address-index"] {
            let port = try ChildProcess.freePort()
            let directory = NSTemporaryDirectory() + "e2e-\(name)-" + UUID().uuidString
            let process = try ChildProcess(name, environment: [
                "DATA_DIR": directory, "HTTP_PORT": "\(port)", "REGISTRY_TOPIC_PREFIX": topics.prefix, "REGISTRY_JWT_SECRET": TestSecrets.jwt, "LOG_LEVEL": "warning",
            ])
            services.append((name, port, directory, process))
        }
        defer { for service in services { service.process.signal(SIGTERM) } }
        for service in services {
            let path = service.directory + "/\(service.name).sqlite"
            try await waitUntil("\(service.name) has read the catalog", timeout: .seconds(60)) {
                guard FileManager.default.fileExists(atPath: path), let db = try? DatabaseQueue(path: path) else { return false }
                return (try? await db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM address_catalog") }) == 1
            }
        }

        let person = IIN(rawValue: "860101300126")!
        let submission = RegistrationSubmitted(
            kind: .permanent, person: PersonDetails(iin: person, surname: "Ахметов", givenName: "Арман", patronymic: nil, birthDate: CalendarDate("1986-01-01")!),
            rca: flat.rca, validFrom: CalendarDate(utc: Date()))
        let started = ContinuousClock.now
        _ = try await producer.send([try .event(CloudEvent(id: "e2e-1", source: "/egov/portal", time: Timestamp(.now), data: submission), topic: topics.name(for: .registrationSubmitted), key: person.rawValue)])

        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: TestSecrets.jwt), digestAlgorithm: .sha256)
        let agency = try await keys.sign(RegistryTokenClaims(sub: "123456789012", role: .agency, scope: "address:read", org: "School No. 5", expires: Date().addingTimeInterval(600)))
        let url = "http://127.0.0.1:\(services[1].port)/v1/persons/\(person.rawValue)/registration"
        var body = ""
        try await waitUntil("the index answers with the new registration", timeout: .seconds(60), interval: .milliseconds(50)) {
            guard let answer = await httpGet(url, headers: ["Authorization": "Bearer \(agency)", "X-Purpose": "school enrolment"]), answer.status == 200 else { return false }
            body = answer.body
            return true
        }
        let elapsed = ContinuousClock.now - started
        let view = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        let permanent = view?["permanent"] as? [String: Any]
        #expect((permanent?["address"] as? [String: Any])?["rca"] as? String == flat.rca.rawValue)
        #expect(view?["temporary"] is NSNull)

        // The lookup itself is on access.logged.v1, keyed by the agency.
        let accesses = try await TestBroker.consume([topics.name(for: .accessLogged)], count: 1)
        let access = try RegistryEventDecoder().decode(AccessLogged.self, from: accesses[0].value ?? [])
        #expect(access.data.subjects == [person.rawValue] && access.data.purpose == "school enrolment" && access.data.service == "address-index")
        for service in services {
            service.process.signal(SIGTERM)
            #expect(await service.process.waitForExit(timeout: .seconds(20)) == 0, "\(service.name): \(service.process.output)")
        }
        print("end to end: submission → intake → address-index → HTTP 200 in \(elapsed); the lookup is on access.logged.v1 with its purpose")
    }
}
