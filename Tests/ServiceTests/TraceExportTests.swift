// Spans exported with OpenTelemetry (OTLP/HTTP) when OTEL_EXPORTER_OTLP_ENDPOINT is set: intake
// as a real process, a collector on loopback that records what it is sent.

import Foundation
import Hummingbird
import Kafka
import Logging
import RegistrySchema
import ServiceRuntime
import Synchronization
import Testing
import TestSupport

/// An OTLP/HTTP collector: records the body of every `POST /v1/traces`.
final class OTLPCollector: Sendable {
    private final class Bodies: Sendable {
        let list = Mutex<[[UInt8]]>([])
    }

    let port: Int
    private let bodies = Bodies()
    private let task: Task<Void, any Error>

    init() async throws {
        let port = try ChildProcess.freePort()
        let bodies = self.bodies
        let router = Router()
        router.post("/v1/traces") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 16 << 20)
            bodies.list.withLock { $0.append(Array(buffer: body)) }
            return Response(status: .ok)
        }
        router.get("/ready") { _, _ in "ready" }
        var logger = Logger(label: "collector")
        logger.logLevel = .critical
        let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        self.port = port
        task = Task { try await application.runService(gracefulShutdownSignals: []) }
        try await waitUntil("the collector listens") { await httpGet("http://127.0.0.1:\(port)/ready")?.status == 200 }
    }

    /// Whether one export so far holds every one of `runs` (OTLP's protobuf carries trace and
    /// span ids as raw bytes).
    func received(_ runs: [[UInt8]]) -> Bool {
        bodies.list.withLock { $0.contains { body in runs.allSatisfy { body.firstRange(of: $0) != nil } } }
    }

    func stop() { task.cancel() }
}

@Suite(.timeLimit(.minutes(3))) struct TraceExportTests {
    /// The 16 bytes of a traceparent's trace id, or the 8 of its parent id.
    static func bytes(_ traceparent: String, trace: Bool) -> [UInt8] {
        let parts = traceparent.split(separator: "-")
        let hex = Array(parts[trace ? 1 : 2].utf8)
        return stride(from: 0, to: hex.count, by: 2).map { UInt8(String(decoding: hex[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
    }

    @Test func withACollectorEachHopIsASpanAndTheEventsCarryItsContext() async throws {
        let topics = TopicNames(prefix: TestBroker.uniqueName("otlp") + ".")
        try await TestBroker.createTopics(
            [.addressCatalog, .registrationSubmitted, .registrationAccepted, .registrationRejected, .deadLetter, .accessLogged].map(topics.name(for:)), partitions: 1)
        let collector = try await OTLPCollector()
        defer { collector.stop() }
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try TestBroker.clientConfiguration()), logger: TestBroker.logger)
        let flat = AddressUpserted(
            rca: RCA(rawValue: "6200000000001")!, kato: KATO(rawValue: "751110000")!, region: "Алматы", locality: "Алматы",
            street: "Абай даңғылы", building: "62", flat: "1", residential: true, owners: [])
        _ = try await producer.send(try .event(CloudEvent(id: "otlp-c", source: "/register", time: Timestamp(.now), data: flat), topic: topics.name(for: .addressCatalog), key: flat.rca.rawValue))

        let directory = NSTemporaryDirectory() + "otlp-intake-" + UUID().uuidString
        let port = try ChildProcess.freePort()
        let intake = try ChildProcess("registration-intake", environment: [
            "DATA_DIR": directory, "HTTP_PORT": "\(port)", "REGISTRY_TOPIC_PREFIX": topics.prefix, "REGISTRY_JWT_SECRET": TestSecrets.jwt, "LOG_LEVEL": "warning",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:\(collector.port)", "OTEL_BSP_SCHEDULE_DELAY": "100",
        ])
        let base = "http://127.0.0.1:\(port)"
        try await waitUntil("intake answers", timeout: .seconds(30)) { await httpGet(base + "/health/live")?.status == 200 }

        // On Kafka: the accepted event continues the submission's trace from intake's own span.
        let people = NotificationFixtures.people(2, born: "1990-07-01")
        func submission(_ iin: IIN) -> RegistrationSubmitted {
            RegistrationSubmitted(
                kind: .permanent, person: PersonDetails(iin: iin, surname: "Нұрланова", givenName: "Айгерім", patronymic: nil, birthDate: iin.birthDate!),
                rca: flat.rca, validFrom: CalendarDate(utc: Date()))
        }
        let kafkaParent = "00-5af7183fb1d4cf5f4bf92f3577b34da6-a3ce929d0e0e4736-01"
        let event = CloudEvent(id: "otlp-1", source: "/egov/portal", time: Timestamp(.now), data: submission(people[0]), trace: EventTrace(traceparent: kafkaParent))
        _ = try await producer.send(try .event(event, topic: topics.name(for: .registrationSubmitted), key: people[0].rawValue))

        // Over HTTP: the request's span continues the caller's trace, and the submission carries it on.
        let httpParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        let upstream = try await NotificationFixtures.token(.upstream, "egov-portal", scope: nil, sources: ["/egov/portal"])
        let body = try RegistryEventEncoder().encodeBytes(CloudEvent(id: "otlp-2", source: "/egov/portal", time: Timestamp(.now), data: submission(people[1])))
        let posted = await httpRequest(
            "POST", base + "/v1/submissions", headers: ["Authorization": "Bearer \(upstream)", "Content-Type": "application/cloudevents+json", "traceparent": httpParent],
            body: Data(body))
        #expect(posted?.status == 202, "\(posted?.body ?? "no answer") \(intake.output)")

        let accepted = try await TestBroker.consume([topics.name(for: .registrationAccepted)], count: 2)
        let decoder = RegistryEventDecoder()
        for message in accepted {
            let decision = try decoder.decode(RegistrationAccepted.self, from: message.value ?? [])
            let parent = decision.data.submission.id == "otlp-1" ? kafkaParent : httpParent
            let carried = try #require(decision.trace?.traceparent, "\(decision.data.submission.id) carries a trace")
            #expect(Self.bytes(carried, trace: true) == Self.bytes(parent, trace: true), "the same trace")
            #expect(Self.bytes(carried, trace: false) != Self.bytes(parent, trace: false), "a span of intake's own is the parent now")
            #expect(message.headerTrace?.traceparent == carried)
            // That span reached the collector: its trace id and span id are in an export.
            try await waitUntil("intake's span of \(decision.data.submission.id) is exported", timeout: .seconds(30)) {
                collector.received([Self.bytes(carried, trace: true), Self.bytes(carried, trace: false)])
            }
        }
        // The HTTP request's own span: published with the submission, and exported.
        let published = try await TestBroker.consume([topics.name(for: .registrationSubmitted)], count: 2)
        let server = try #require(published.first { $0.key == Array(people[1].rawValue.utf8) }?.headerTrace?.traceparent)
        #expect(Self.bytes(server, trace: true) == Self.bytes(httpParent, trace: true) && Self.bytes(server, trace: false) != Self.bytes(httpParent, trace: false))
        try await waitUntil("the HTTP request's span is exported", timeout: .seconds(30)) {
            collector.received([Self.bytes(server, trace: true), Self.bytes(server, trace: false)])
        }
        intake.signal(SIGTERM)
        #expect(await intake.waitForExit(timeout: .seconds(20)) == 0, "\(intake.output)")
        print("otlp: intake exported its consumer and server spans to the collector; the accepted events carry their context")
    }
}
