// Submissions shaped as the CloudEvents Java and Go SDKs send them, through the real services:
// binary content mode on Kafka and over HTTP, murmur2 placement, and W3C Trace Context carried
// from the submission to the accepted event, the change and the webhook request.

import Foundation
import Kafka
import RegistrySchema
import ServiceRuntime
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(5))) struct InteroperabilityTests {
    static let services = ["registration-intake", "address-index", "notification"]
    static let flat = AddressUpserted(
        rca: RCA(rawValue: "6100000000001")!, kato: KATO(rawValue: "751110000")!, region: "Алматы", locality: "Алматы",
        street: "Абай даңғылы", building: "61", flat: "1", residential: true, owners: [])

    /// A W3C `traceparent` whose trace id ends in `n`.
    static func traceparent(_ n: Int) -> String {
        "00-" + String(format: "4bf92f3577b34da6a3ce929d0e0e%04x", n) + "-00f067aa0ba902b7-01"
    }

    /// Now as Java's `OffsetDateTime` in Almaty prints it with `ISO_OFFSET_DATE_TIME`.
    static func javaTime(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 5 * 3600)
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSSSSxxx"
        return formatter.string(from: date)
    }

    @Test func sdkShapedSubmissionsAreDecidedInJavasPartitionsAndTheirTraceReachesTheWebhook() async throws {
        let stack = try await RegistryStack(label: "interop")
        let receiver = try await WebhookReceiver()
        defer { receiver.stop() }
        for service in Self.services { try stack.start(service) }
        for service in Self.services {
            try await waitUntil("\(service) answers", timeout: .seconds(30)) { await httpGet(stack.url(service) + "/health/live")?.status == 200 }
        }
        let agency = try await NotificationFixtures.token()
        let subscribed = await httpRequest(
            "POST", stack.url("notification") + "/v1/subscriptions",
            headers: ["Authorization": "Bearer \(agency)", "X-Purpose": "interoperability test", "Content-Type": "application/json"],
            body: Data(NotificationFixtures.webhook(receiver.url).utf8))
        #expect(subscribed?.status == 201, "\(subscribed?.body ?? "no answer")")

        var client = try TestBroker.clientConfiguration("interop")
        client.bootstrapServers = stack.bootstrapServers
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: TestBroker.logger)
        let catalog = CloudEvent(id: "interop-catalog", source: "/register", time: Timestamp(.now), data: Self.flat)
        _ = try await producer.send(try .event(catalog, topic: stack.topics.name(for: .addressCatalog), key: Self.flat.rca.rawValue))
        try await waitUntil("intake has read the catalog", timeout: .seconds(60)) {
            (try? await stack.store("registration-intake").read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM address_catalog") }) == 1
        }

        // Twelve people: five with a trace, each carried in another way, seven without.
        let people = NotificationFixtures.people(12, born: "1984-03-02")
        let now = Date()
        func data(_ iin: IIN) throws -> [UInt8] {
            let person = PersonDetails(iin: iin, surname: "Сәрсенбаев", givenName: "Ерлан", patronymic: nil, birthDate: iin.birthDate!)
            return [UInt8](try RegistryEventEncoder.makeJSONEncoder().encode(
                RegistrationSubmitted(kind: .permanent, person: person, rca: Self.flat.rca, validFrom: CalendarDate(utc: now))))
        }
        func attributes(_ index: Int, time: String, traceparent: String? = nil) -> CloudEventsSDKShapes.Attributes {
            CloudEventsSDKShapes.Attributes(
                id: "interop-\(index)", source: "/egov/portal", type: EventType.registrationSubmitted.rawValue, subject: people[index].rawValue,
                time: time, traceparent: traceparent, tracestate: traceparent == nil ? nil : "rojo=00f067aa0ba902b7")
        }
        let submitted = stack.topics.name(for: .registrationSubmitted)
        var expected: [IIN: String?] = [:]
        var messages: [KafkaProducerMessage] = []
        func kafkaHeaders(_ pairs: [(name: String, value: String)]) -> [KafkaHeader] { pairs.map { KafkaHeader(key: $0.name, string: $0.value) } }

        // 0: Java SDK, binary, the trace as the distributed-tracing extension (ce_traceparent).
        messages.append(KafkaProducerMessage(
            topic: submitted, key: people[0].rawValue, value: try data(people[0]),
            headers: kafkaHeaders(CloudEventsSDKShapes.javaKafka(attributes(0, time: Self.javaTime(now), traceparent: Self.traceparent(0))))))
        expected[people[0]] = Self.traceparent(0)
        // 1: Go SDK, binary, the trace as a plain W3C header from tracing instrumentation.
        messages.append(KafkaProducerMessage(
            topic: submitted, key: people[1].rawValue, value: try data(people[1]),
            headers: kafkaHeaders(CloudEventsSDKShapes.goKafka(attributes(1, time: Timestamp(now).description)))
                + [KafkaHeader(key: "traceparent", string: Self.traceparent(1))]))
        expected[people[1]] = Self.traceparent(1)
        // 4: structured, the trace as the event's attribute.
        let structured = CloudEvent(
            id: "interop-4", source: "/egov/portal", time: Timestamp(now),
            data: try RegistryEventDecoder.makeJSONDecoder().decode(RegistrationSubmitted.self, from: Data(try data(people[4]))),
            trace: EventTrace(traceparent: Self.traceparent(4)))
        messages.append(try .event(structured, topic: submitted, key: people[4].rawValue))
        expected[people[4]] = Self.traceparent(4)
        // 5…11: structured, untraced.
        for index in 5..<12 {
            let event = CloudEvent(
                id: "interop-\(index)", source: "/egov/portal", time: Timestamp(now),
                data: try RegistryEventDecoder.makeJSONDecoder().decode(RegistrationSubmitted.self, from: Data(try data(people[index]))))
            messages.append(try .event(event, topic: submitted, key: people[index].rawValue))
            expected[people[index]] = .some(nil)
        }
        _ = try await producer.send(messages)

        // 2 and 3 over HTTP in binary mode: Go's canonical header case with a traceparent header;
        // Java's lower case with the trace as ce-traceparent.
        let upstream = try await NotificationFixtures.token(.upstream, "egov-portal", scope: nil, sources: ["/egov/portal"])
        var goHeaders = Dictionary(CloudEventsSDKShapes.goHTTP(attributes(2, time: Timestamp(now).description)), uniquingKeysWith: { $1 })
        goHeaders["Traceparent"] = Self.traceparent(2)
        let javaHeaders = Dictionary(CloudEventsSDKShapes.javaHTTP(attributes(3, time: Self.javaTime(now), traceparent: Self.traceparent(3))), uniquingKeysWith: { $1 })
        for (index, sdkHeaders) in [(2, goHeaders), (3, javaHeaders)] {
            var headers = sdkHeaders
            headers["Authorization"] = "Bearer \(upstream)"
            let answer = await httpRequest("POST", stack.url("registration-intake") + "/v1/submissions", headers: headers, body: Data(try data(people[index])))
            #expect(answer?.status == 202, "\(answer?.body ?? "no answer")")
            #expect(answer?.body.contains(#""id":"interop-\#(index)""#) == true)
            expected[people[index]] = Self.traceparent(index)
        }

        // Every submission accepted, in the partition Java's murmur2 picks for the IIN, with its trace.
        func check(_ messages: [KafkaConsumerMessage], _ what: String, iin: (KafkaConsumerMessage) throws -> IIN, trace: (KafkaConsumerMessage) throws -> EventTrace?) throws {
            #expect(Set(try messages.map(iin)) == Set(people), "\(what): one per person")
            for message in messages {
                let person = try iin(message)
                #expect(message.partition == JavaPartitioner.partition(of: person.rawValue, partitions: 3), "\(what) of \(person.masked) in partition \(message.partition)")
                let wanted = expected[person] ?? nil
                #expect(try trace(message)?.traceparent == wanted, "\(what) of \(person.masked): the trace attribute")
                #expect(message.headerTrace?.traceparent == wanted, "\(what) of \(person.masked): the traceparent header")
                if wanted == nil { #expect(!message.headers.contains { $0.key.hasPrefix("trace") }, "an untraced submission adds nothing") }
            }
        }
        let decoder = RegistryEventDecoder()
        let accepted = try await TestBroker.consume([stack.topics.name(for: .registrationAccepted)], count: 12, bootstrapServers: stack.bootstrapServers)
        try check(accepted, "accepted", iin: { try decoder.decode(RegistrationAccepted.self, from: $0.value ?? []).data.person.iin }) {
            try decoder.decode(RegistrationAccepted.self, from: $0.value ?? []).trace
        }
        let changed = try await TestBroker.consume([stack.topics.name(for: .addressChanged)], count: 12, bootstrapServers: stack.bootstrapServers)
        try check(changed, "changed", iin: { try decoder.decode(AddressChanged.self, from: $0.value ?? []).data.iin }) {
            try decoder.decode(AddressChanged.self, from: $0.value ?? []).trace
        }
        #expect(Set(accepted.map(\.partition)).count == 3, "the people spread over the three partitions")

        // Each webhook request continues its change's trace.
        try await waitUntil("the receiver has every change", timeout: .seconds(60)) { receiver.distinctIDs.count >= 12 }
        for request in receiver.requests {
            let change = try decoder.decode(AddressChanged.self, from: request.body)
            #expect(request.traceparent == (expected[change.data.iin] ?? nil) ?? "", "webhook for \(change.data.iin.masked)")
        }
        await stack.stopAll()
        print("interoperability: Java/Go SDK binary submissions on Kafka and HTTP accepted in murmur2's partitions; 5 traces carried to accepted, changed and the webhook, 7 untraced with no trace header")
    }
}
