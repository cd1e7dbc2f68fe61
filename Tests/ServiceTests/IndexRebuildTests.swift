// address-index --rebuild: drop the store, replay the topics, answer exactly as before.

import Foundation
import JWTKit
import Kafka
import RegistrySchema
import ServiceRuntime
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3))) struct IndexRebuildTests {
    @Test func aRebuiltIndexAnswersExactlyAsBefore() async throws {
        let topics = TopicNames(prefix: TestBroker.uniqueName("rebuild") + ".")
        try await TestBroker.createTopics(RegistryTopic.allCases.map(topics.name(for:)), partitions: 3)
        let places = (1...3).map { n in
            AddressSnapshot(rca: RCA(rawValue: "90000\(n)")!, kato: KATO(rawValue: "751110000")!, region: "Алматы", locality: "Алматы", street: "Сәтбаев көшесі", building: "\(n)", flat: nil)
        }
        let people = (1...5).compactMap { IIN.issue(birthDate: CalendarDate("1970-01-01")!.adding(days: $0 * 400), sex: .female, serial: $0) }
        var messages: [KafkaProducerMessage] = try places.map { place in
            let entry = AddressUpserted(rca: place.rca, kato: place.kato, region: place.region, locality: place.locality, street: place.street, building: place.building, flat: nil, residential: true, owners: [])
            return try .event(CloudEvent(id: "c-\(place.rca)", source: "/register", time: Timestamp(.now), data: entry), topic: topics.name(for: .addressCatalog), key: place.rca.rawValue)
        }
        let today = CalendarDate(utc: Date())
        for (index, iin) in people.enumerated() {
            let person = PersonDetails(iin: iin, surname: "Жұмабаева", givenName: "Жанар", patronymic: nil, birthDate: iin.birthDate!)
            let first = places[index % 3], second = places[(index + 1) % 3]
            let events = [
                RegistrationAccepted(submission: SubmissionReference(source: "/t", id: "\(index)-1"), sequence: 1, kind: .permanent, person: person, address: first, previousAddress: nil, validFrom: today.adding(days: -300), validUntil: nil, registration: nil, reason: nil),
                RegistrationAccepted(submission: SubmissionReference(source: "/t", id: "\(index)-2"), sequence: 2, kind: .permanent, person: person, address: second, previousAddress: first, validFrom: today.adding(days: -100), validUntil: nil, registration: nil, reason: nil),
                RegistrationAccepted(submission: SubmissionReference(source: "/t", id: "\(index)-3"), sequence: 3, kind: .temporary, person: person, address: first, previousAddress: nil, validFrom: today.adding(days: -5), validUntil: today.adding(days: 60), registration: nil, reason: nil),
            ]
            messages += try events.map { try .event(CloudEvent(id: "a-\($0.submission.id)", source: "/registry/intake", time: Timestamp(.now), data: $0), topic: topics.name(for: .registrationAccepted), key: iin.rawValue) }
        }
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try TestBroker.clientConfiguration()), logger: TestBroker.logger)
        _ = try await producer.send(messages)

        let port = try ChildProcess.freePort()
        let environment = [
            "DATA_DIR": NSTemporaryDirectory() + "rebuild-" + UUID().uuidString, "HTTP_PORT": "\(port)", "REGISTRY_TOPIC_PREFIX": topics.prefix,
            "REGISTRY_JWT_SECRET": TestSecrets.jwt, "LOG_LEVEL": "info",
        ]
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: TestSecrets.jwt), digestAlgorithm: .sha256)
        let agency = try await keys.sign(RegistryTokenClaims(sub: "123456789012", role: .agency, scope: "address:read residents:read", org: "Akimat", expires: Date().addingTimeInterval(600)))
        let headers = ["Authorization": "Bearer \(agency)", "X-Purpose": "audit of the index"]
        let paths = people.flatMap { ["/v1/persons/\($0.rawValue)/registration", "/v1/persons/\($0.rawValue)/registration?at=\(today.adding(days: -200))", "/v1/persons/\($0.rawValue)/history"] }
            + places.map { "/v1/addresses/\($0.rca)/residents" }
        func answers() async -> [String] {
            var result: [String] = []
            for path in paths { result.append(await httpGet("http://127.0.0.1:\(port)\(path)", headers: headers).map { "\($0.status) \($0.body)" } ?? "no answer") }
            return result
        }
        func waitForAllEvents() async throws {
            try await waitUntil("the index applied every event", timeout: .seconds(60), interval: .milliseconds(200)) {
                await answers().filter { $0.contains(#""sequence":3"#) }.count == people.count
            }
        }

        var index = try ChildProcess("address-index", environment: environment)
        try await waitForAllEvents()
        let before = await answers()
        index.signal(SIGTERM)
        #expect(await index.waitForExit(timeout: .seconds(20)) == 0)

        index = try ChildProcess("address-index", arguments: ["--rebuild"], environment: environment)
        try await waitForAllEvents()
        let after = await answers()
        #expect(index.output.contains("rebuilding: removed"), "\(index.output)")
        #expect(index.output.contains("caught up"), "progress is reported")
        index.signal(SIGTERM)
        #expect(await index.waitForExit(timeout: .seconds(20)) == 0)
        #expect(before.allSatisfy { $0.hasPrefix("200 ") })
        #expect(after == before, "the rebuilt index answers exactly as before")
        print("rebuild: \(paths.count) answers identical after address-index --rebuild replayed \(messages.count) messages")
    }
}
