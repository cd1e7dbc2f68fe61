// registration-intake as a real process on the real broker: Kafka in and out, restarts, HTTP.

import Foundation
import GRDB
import JWTKit
import Kafka
import RegistrySchema
import ServiceRuntime
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3))) struct RegistrationIntakeServiceTests {
    let topics = TopicNames(prefix: TestBroker.uniqueName("intake") + ".")
    let person = IIN(rawValue: "860101300126")!
    let encoder = RegistryEventEncoder()
    let decoder = RegistryEventDecoder()

    static func flat(_ rca: String, building: String) -> AddressUpserted {
        AddressUpserted(
            rca: RCA(rawValue: rca)!, kato: KATO(rawValue: "751110000")!, region: "Алматы", locality: "Алматы",
            street: "Абай даңғылы", building: building, flat: "7", residential: true, owners: [])
    }
    static let first = flat("3000000000001", building: "1")
    static let second = flat("3000000000002", building: "2")

    func submission(_ id: String, rca: RCA, iin: IIN? = nil, from: String = "2026-11-24") throws -> [UInt8] {
        let details = PersonDetails(iin: iin ?? person, surname: "Ахметов", givenName: "Арман", patronymic: nil, birthDate: (iin ?? person).birthDate!)
        let data = RegistrationSubmitted(kind: .permanent, person: details, rca: rca, validFrom: CalendarDate(from)!)
        return try encoder.encodeBytes(CloudEvent(id: id, source: "/egov/portal", time: Timestamp("2026-11-24T10:00:00Z")!, data: data))
    }

    func start(_ directory: String, port: Int) throws -> ChildProcess {
        try ChildProcess("registration-intake", environment: [
            "DATA_DIR": directory, "HTTP_PORT": "\(port)", "REGISTRY_TOPIC_PREFIX": topics.prefix,
            "REGISTRY_JWT_SECRET": TestSecrets.jwt, "LOG_LEVEL": "warning",
        ])
    }

    @Test func submissionsAreDecidedOnceAcrossRepeatsAndRestartsAndOverHTTP() async throws {
        try await TestBroker.createTopics(
            [.addressCatalog, .registrationSubmitted, .registrationAccepted, .registrationRejected, .deadLetter, .accessLogged].map(topics.name(for:)),
            partitions: 3)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try TestBroker.clientConfiguration()), logger: TestBroker.logger)
        let catalog = topics.name(for: .addressCatalog)
        let submitted = topics.name(for: .registrationSubmitted)
        _ = try await producer.send(try [Self.first, Self.second].map { flat in
            try .event(CloudEvent(id: "c-\(flat.rca)", source: "/register", time: Timestamp(.now), data: flat), topic: catalog, key: flat.rca.rawValue)
        })

        let directory = NSTemporaryDirectory() + "intake-service-" + UUID().uuidString
        let port = try ChildProcess.freePort()
        var intake = try start(directory, port: port)
        // Decisions are made against the catalog as intake knows it: let it read the catalog first.
        let store = directory + "/registration-intake.sqlite"
        try await waitUntil("intake has its copy of the catalog", timeout: .seconds(60)) {
            guard FileManager.default.fileExists(atPath: store), let database = try? DatabaseQueue(path: store) else { return false }
            return (try? await database.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM address_catalog") }) == 2
        }

        // The same submission three times, and one with a bad IIN.
        let registration = try submission("reg-1", rca: Self.first.rca)
        var badIIN = try JSONSerialization.jsonObject(with: Data(try submission("bad-iin", rca: Self.first.rca))) as! [String: Any]
        var data = badIIN["data"] as! [String: Any]
        data["person"] = ["iin": "860101300125", "surname": "X", "givenName": "Y", "birthDate": "1986-01-01"]
        badIIN["data"] = data
        _ = try await producer.send((0..<3).map { _ in KafkaProducerMessage(topic: submitted, key: person.rawValue, value: registration) })
        _ = try await producer.send([KafkaProducerMessage(topic: submitted, key: "860101300125", value: [UInt8](try JSONSerialization.data(withJSONObject: badIIN)))])

        let rejected = try await TestBroker.consume([topics.name(for: .registrationRejected)], count: 1)
        let rejection = try decoder.decode(RegistrationRejected.self, from: rejected[0].value ?? [])
        #expect(rejection.data.reasons.map(\.code) == [.invalidIIN])
        #expect(rejection.data.submission.id == "bad-iin")

        // Restart (graceful), then the same submission once more and a move after it, same key.
        intake.signal(SIGTERM)
        #expect(await intake.waitForExit(timeout: .seconds(20)) == 0)
        intake = try start(directory, port: port)
        let move = try submission("move-1", rca: Self.second.rca, from: "2026-11-25")
        _ = try await producer.send([registration, move].map { KafkaProducerMessage(topic: submitted, key: person.rawValue, value: $0) })

        let accepted = try await TestBroker.consume([topics.name(for: .registrationAccepted)], count: 2)
        let events = try accepted.map { try decoder.decode(RegistrationAccepted.self, from: $0.value ?? []) }
        // The move is behind the repeat in the same partition: had the repeat been accepted, it would be here.
        #expect(events.map(\.data.submission.id) == ["reg-1", "move-1"])
        #expect(events.map(\.data.sequence) == [1, 2])
        #expect(events[1].data.previousAddress == Self.first.snapshot)
        #expect(events[1].data.address == Self.second.snapshot)
        #expect(events.allSatisfy { $0.source == "/registry/intake" })
        #expect(events.allSatisfy { $0.data.submission.submitter == nil }, "published to Kafka directly: no submitter")
        #expect(String(decoding: accepted[0].value ?? [], as: UTF8.self).contains(#""submitter":null"#))

        // HTTP: an upstream system posts a submission and follows it to "accepted".
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: TestSecrets.jwt), digestAlgorithm: .sha256)
        let token = try await keys.sign(RegistryTokenClaims(sub: "egov-portal", role: .upstream, scope: nil, org: "eGov", expires: Date().addingTimeInterval(600), sources: ["/egov/portal"]))
        let auth = ["Authorization": "Bearer \(token)", "Content-Type": "application/cloudevents+json"]
        let bankToken = try await keys.sign(RegistryTokenClaims(sub: "bank-system", role: .upstream, scope: nil, org: "Bank", expires: Date().addingTimeInterval(600), sources: ["/bank/"]))
        let bank = ["Authorization": "Bearer \(bankToken)", "Content-Type": "application/cloudevents+json"]
        let base = "http://127.0.0.1:\(port)"
        let other = IIN(rawValue: "790512400220")!
        try await waitUntil("intake answers HTTP", timeout: .seconds(30)) { await httpGet(base + "/health/live")?.status == 200 }
        let posted = await httpRequest("POST", base + "/v1/submissions", headers: auth, body: Data(try submission("http-1", rca: Self.first.rca, iin: other)))
        #expect(posted?.status == 202)
        #expect(posted?.body.contains(#""status":"pending""#) == true)
        var status = ""
        try await waitUntil("the posted submission is accepted", timeout: .seconds(30)) {
            status = await httpGet(base + "/v1/submissions/http-1?source=/egov/portal", headers: auth)?.body ?? ""
            return status.contains("accepted")
        }
        #expect(status.contains(#""sequence":1"#))
        // The submitting system travels with the decision (and so into the audit).
        let byHTTP = try await TestBroker.consume([topics.name(for: .registrationAccepted)], count: 3)
            .map { try decoder.decode(RegistrationAccepted.self, from: $0.value ?? []).data }.first { $0.submission.id == "http-1" }
        #expect(byHTTP?.submission.submitter == "egov-portal")
        // Another system can neither submit under this source (taking its idempotency keys) nor read its statuses.
        let impersonated = await httpRequest("POST", base + "/v1/submissions", headers: bank, body: Data(try submission("http-2", rca: Self.first.rca, iin: other)))
        #expect(impersonated?.status == 403, "\(impersonated.map { "\($0.status) \($0.body)" } ?? "no answer")")
        let peeked = await httpGet(base + "/v1/submissions/http-1?source=/egov/portal", headers: bank)
        #expect(peeked?.status == 403 && peeked?.body.contains("accepted") == false, "\(peeked.map { "\($0.status) \($0.body)" } ?? "no answer")")
        #expect(await httpGet(base + "/v1/submissions/http-2?source=/egov/portal", headers: auth)?.status == 404, "the impersonating submission was not taken")
        let bad = await httpRequest("POST", base + "/v1/submissions", headers: auth, body: Data(#"{"specversion":"1.0","id":"x","source":"/s","type":"kz.registry.registration.submitted.v1","data":{"kind":"permanent"}}"#.utf8))
        #expect(bad?.status == 400)
        #expect(bad?.body.contains("data.person") == true, "the 400 names the missing field")
        #expect(await httpGet(base + "/v1/submissions/nothing?source=/egov/portal", headers: auth)?.status == 404)

        intake.signal(SIGTERM)
        #expect(await intake.waitForExit(timeout: .seconds(20)) == 0)
        print("intake: repeated submission accepted once across a restart (sequence 1, then the move as 2 with previousAddress); bad IIN rejected INVALID_IIN; HTTP 202 → \(status)")
    }
}
