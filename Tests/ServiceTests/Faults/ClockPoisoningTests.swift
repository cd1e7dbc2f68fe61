// Clock poisoning: an upstream system (or anyone who may produce to a topic the services read)
// stamps a message in the year 2100. The services must not take it as the time: fresh tokens keep
// working on every service, and the ignored timestamp shows in each one's metrics.

import Foundation
import JWTKit
import Kafka
import RegistrySchema
import ServiceRuntime
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(5))) struct ClockPoisoningTests {
    /// 2100-01-01T00:00:00Z in milliseconds.
    static let year2100: Int64 = 4_102_444_800_000

    /// Produces `value` to `topic` with the producer timestamp `timestamp` (ms), through the
    /// Python client (a producer that is not ours, as an upstream system's would be).
    static func produce(_ servers: String, topic: String, key: String, value: [UInt8], timestamp: Int64) async throws {
        let file = NSTemporaryDirectory() + "poison-" + UUID().uuidString
        try Data(value).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let script = """
            import sys
            from confluent_kafka import Producer
            servers, topic, key, path, timestamp = sys.argv[1:6]
            producer = Producer({"bootstrap.servers": servers})
            producer.produce(topic, value=open(path, "rb").read(), key=key, timestamp=int(timestamp),
                             headers=[("content-type", b"application/cloudevents+json")])
            left = producer.flush(30)
            sys.exit(1 if left else 0)
            """
        // Waited for without blocking: the tests share two cooperative threads, and a blocking
        // wait held one for the seconds Python takes to connect and flush.
        let python = try ChildProcess(
            executableURL: URL(fileURLWithPath: ProcessInfo.processInfo.environment["REGISTRY_PYTHON"] ?? "/usr/bin/python3"),
            arguments: ["-c", script, servers, topic, key, file, "\(timestamp)"])
        guard await python.waitForExit(timeout: .seconds(60)) == 0 else {
            throw FixtureError(description: "the Python producer failed (REGISTRY_PYTHON must have confluent-kafka: run with `make test`): \(python.output)")
        }
    }

    static func token(_ role: Role, _ sub: String, scope: String? = nil, sources: [String]? = nil) async throws -> String {
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: TestSecrets.jwt), digestAlgorithm: .sha256)
        return try await keys.sign(RegistryTokenClaims(sub: sub, role: role, scope: scope, org: "Clock test", expires: Date().addingTimeInterval(600), sources: sources))
    }

    @Test func aMessageStampedIn2100LocksNobodyOut() async throws {
        let stack = try await RegistryStack(label: "clock-poison")
        try await stack.startAll()
        defer { Task { await stack.stopAll() } }
        let admin = try KafkaAdmin(configuration: try TestBroker.clientConfiguration("clock-poison"), logger: TestBroker.outageLogger)

        // A submission and a catalog entry stamped 2100: between them they reach all four services.
        let person = PersonDetails(iin: IIN(rawValue: "860101300126")!, surname: "Ахметов", givenName: "Арман", patronymic: nil, birthDate: CalendarDate("1986-01-01")!)
        let submission = CloudEvent(
            id: "poison-1", source: "/upstream/poison", time: Timestamp(.now),
            data: RegistrationSubmitted(kind: .permanent, person: person, rca: RCA(rawValue: "9100001")!, validFrom: CalendarDate(utc: Date())))
        let place = AddressUpserted(
            rca: RCA(rawValue: "9100002")!, kato: KATO(rawValue: "751110000")!, region: "Алматы", locality: "Алматы", street: "Абай даңғылы",
            building: "3", flat: nil, residential: true, owners: [])
        let encoder = RegistryEventEncoder()
        try await Self.produce(
            stack.bootstrapServers, topic: stack.topics.name(for: .registrationSubmitted), key: person.iin.rawValue,
            value: try encoder.encodeBytes(submission), timestamp: Self.year2100)
        try await Self.produce(
            stack.bootstrapServers, topic: stack.topics.name(for: .addressCatalog), key: place.rca.rawValue,
            value: try encoder.encodeBytes(CloudEvent(id: "poison-catalog-1", source: "/register", time: Timestamp(.now), data: place)), timestamp: Self.year2100)
        try await waitUntil("every service has read the stamped messages", timeout: .seconds(120), interval: .milliseconds(500)) {
            try await stack.caughtUp(admin)
        }

        let upstream = try await Self.token(.upstream, "poison-test", sources: ["/upstream/"])
        let agency = try await Self.token(.agency, "100140011059", scope: "address:read subscriptions:write")
        let auditor = try await Self.token(.auditor, "auditor-1")
        let operatorToken = try await Self.token(.operator, "prometheus")
        let calls: [(service: String, path: String, token: String, wanted: Int)] = [
            ("registration-intake", "/v1/submissions/nothing?source=/upstream/poison", upstream, 404),
            ("address-index", "/v1/persons/790512400220/registration", agency, 404),
            ("notification", "/v1/subscriptions", agency, 200),
            ("audit", "/v1/audit/records", auditor, 200),
        ]
        var refused: [String] = []
        for call in calls {
            let answer = await httpGet(stack.url(call.service) + call.path, headers: ["Authorization": "Bearer \(call.token)", "X-Purpose": "clock poisoning test"])
            #expect(answer?.status == call.wanted, "\(call.service): a fresh token got \(answer.map { "\($0.status) \($0.body)" } ?? "no answer")")
            if answer?.status == 401 { refused.append(call.service) }
        }
        // Each service counted the stamped message it read instead of believing it.
        var counted: [String] = []
        for service in RegistryStack.services {
            let metrics = await httpGet(stack.url(service) + "/metrics", headers: ["Authorization": "Bearer \(operatorToken)"])?.body ?? ""
            let line = metrics.split(separator: "\n").first { $0.hasPrefix("clock_future_timestamps_ignored_total") }
            if let line, let value = Double(line.split(separator: " ").last ?? ""), value >= 1 { counted.append(service) }
        }
        #expect(counted.count == RegistryStack.services.count, "counted by \(counted)")
        #expect(stack.output("notification").contains("ahead of the host clock"), "the ignored timestamp is logged")

        // The stamped submission itself is decided once, like any other (it is the only one).
        let decided = Int(try await stack.messages(in: [.registrationAccepted, .registrationRejected], admin))
        let ok = refused.isEmpty && counted.count == RegistryStack.services.count && decided == 1
        print("faults | clock poisoning | 2 messages stamped 2100-01-01 (registration.submitted.v1, address.catalog.v1) | 1 submission, \(calls.count) fresh tokens | \(max(0, 1 - decided)) | \(max(0, decided - 1)) | fresh tokens refused by \(refused.count) of \(calls.count) services, ignored timestamps counted by \(counted.count) of 4: \(ok ? "ok" : "FAILED")")
        await stack.stopAll()
    }
}
