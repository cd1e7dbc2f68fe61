// Fault 5: address-index started with its host clock days off (an LD_PRELOAD shim shifts its wall
// clock): no `temporary-ended` before the stay really ended, no token outside its validity.

import Foundation
import GRDB
import JWTKit
import Kafka
import RegistrySchema
import ServiceRuntime
import Synchronization
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3))) struct ClockSkewTests {
    static let day: TimeInterval = 86_400
    let today = CalendarDate(utc: Date())
    let home = AddressSnapshot(rca: RCA(rawValue: "910001")!, kato: KATO(rawValue: "751110000")!, region: "Алматы", locality: "Алматы", street: "Абай даңғылы", building: "1", flat: nil)
    let dorm = AddressSnapshot(rca: RCA(rawValue: "910002")!, kato: KATO(rawValue: "751110000")!, region: "Алматы", locality: "Алматы", street: "Абай даңғылы", building: "2", flat: "7")

    /// The skew shim, built once per test run with the toolchain's clang.
    static let shim: Result<String, any Error> = Result {
        guard let root = ProcessInfo.processInfo.environment["REGISTRY_ROOT"] else {
            throw ShimUnavailable(description: "REGISTRY_ROOT is not set: run the suite with `make test`.")
        }
        let output = NSTemporaryDirectory() + "skew_clock-\(UUID().uuidString).so"
        let clang = Process()
        clang.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        clang.arguments = ["clang", "-shared", "-fPIC", "-O2", "-o", output, root + "/Tests/Fixtures/skew_clock.c", "-ldl"]
        try clang.run()
        clang.waitUntilExit()
        guard clang.terminationStatus == 0 else { throw ShimUnavailable(description: "clang could not build Tests/Fixtures/skew_clock.c") }
        return output
    }

    /// address-index on its own topics with its wall clock shifted by `skew` seconds.
    func skewedIndex(_ topics: TopicNames, skew: TimeInterval) throws -> (ChildProcess, port: Int, store: String) {
        let port = try ChildProcess.freePort()
        let directory = NSTemporaryDirectory() + "skew-" + UUID().uuidString
        let index = try ChildProcess("address-index", environment: [
            "DATA_DIR": directory, "HTTP_PORT": "\(port)", "REGISTRY_TOPIC_PREFIX": topics.prefix, "REGISTRY_JWT_SECRET": TestSecrets.jwt,
            "LOG_LEVEL": "info", "LD_PRELOAD": try Self.shim.get(), "SKEW_CLOCK_SECONDS": "\(Int(skew))",
            // Messages stamped up to 3 days ahead of this host still count as evidence of the time
            // (the default, 5 minutes, would leave a host 2 days behind uncorrected).
            "CLOCK_MAX_AHEAD": "3d",
        ])
        return (index, port, directory + "/address-index.sqlite")
    }

    func events(_ iin: IIN, temporaryUntil until: CalendarDate, topics: TopicNames) throws -> [KafkaProducerMessage] {
        let person = PersonDetails(iin: iin, surname: "Сейітова", givenName: "Айгүл", patronymic: nil, birthDate: iin.birthDate!)
        let accepted = [
            RegistrationAccepted(submission: SubmissionReference(source: "/t", id: "\(iin)-1"), sequence: 1, kind: .permanent, person: person, address: home, previousAddress: nil, validFrom: today.adding(days: -300), validUntil: nil, registration: nil, reason: nil),
            RegistrationAccepted(submission: SubmissionReference(source: "/t", id: "\(iin)-2"), sequence: 2, kind: .temporary, person: person, address: dorm, previousAddress: nil, validFrom: today.adding(days: -10), validUntil: until, registration: nil, reason: nil),
        ]
        return try accepted.map { try .event(CloudEvent(id: "a-\($0.submission.id)", source: "/registry/intake", time: Timestamp(.now), data: $0), topic: topics.name(for: .registrationAccepted), key: iin.rawValue) }
    }

    func prepareTopics(_ label: String) async throws -> (TopicNames, KafkaProducer) {
        let topics = TopicNames(prefix: TestBroker.uniqueName(label) + ".")
        try await TestBroker.createTopics(RegistryTopic.allCases.map(topics.name(for:)), partitions: 1)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try TestBroker.clientConfiguration()), logger: TestBroker.logger)
        let catalog = try [home, dorm].map { place in
            let entry = AddressUpserted(rca: place.rca, kato: place.kato, region: place.region, locality: place.locality, street: place.street, building: place.building, flat: place.flat, residential: true, owners: [])
            return try KafkaProducerMessage.event(CloudEvent(id: "c-\(place.rca)", source: "/register", time: Timestamp(.now), data: entry), topic: topics.name(for: .addressCatalog), key: place.rca.rawValue)
        }
        _ = try await producer.send(catalog)
        return (topics, producer)
    }

    /// The changes address-index published, read whole; `lost` counts accepted events that caused
    /// none, `duplicated` repeats of a change's id.
    func publishedChanges(_ topics: TopicNames, causedBy accepted: [String], _ row: FaultRow) async throws -> [AddressChanged] {
        let decoded = Mutex<[AddressChanged]>([])
        var tally: EventTally?
        // The index publishes after it stores (its relay, in a transaction per partition): what the
        // store shows may not be on the topic yet. Read until every accepted event's change is there,
        // or for a minute (then the missing ones count as lost).
        try? await waitUntil("every accepted event's change is published", timeout: .seconds(60), interval: .milliseconds(500)) {
            decoded.withLock { $0 = [] }
            tally = try await EventTally.read([topics.name(for: .addressChanged)], inspect: { message in
                let change = try RegistryEventDecoder().decode(AddressChanged.self, from: message.value ?? []).data
                decoded.withLock { $0.append(change) }
            })
            return Set(accepted).isSubset(of: decoded.withLock { Set($0.compactMap(\.cause)) })
        }
        let changes = decoded.withLock { $0 }
        guard let tally else { throw FixtureError(description: "could not read \(topics.name(for: .addressChanged))") }
        row.lost = Set(accepted).subtracting(changes.compactMap(\.cause)).count
        row.duplicated(tally.repeats, "change repeats (same id)")
        row.check(tally.differing.isEmpty, "a repeated change carries a different event")
        return changes
    }

    @Test func aClockRunningAheadDoesNotEndATemporaryStayEarly() async throws {
        try await FaultRow.measure("clock ahead", injected: "address-index host clock +3 days") { row in
            try await clockAhead(row)
        }
    }

    func clockAhead(_ row: FaultRow) async throws -> String {
        let (topics, producer) = try await prepareTopics("skew-ahead")
        let (index, _, path) = try skewedIndex(topics, skew: 3 * Self.day)
        defer { Task { await index.kill() } }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        /// A period as the index stored it; an unreadable store is an error, not "not announced".
        func period(_ iin: IIN, _ sequence: Int) async throws -> (exists: Bool, announced: Bool) {
            guard FileManager.default.fileExists(atPath: path) else { return (false, false) }
            let store = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? store.close() }
            guard let row = try await store.read({ try Row.fetchOne($0, sql: "SELECT end_announced FROM index_period WHERE iin = ? AND sequence = ?", arguments: [iin.rawValue, sequence]) })
            else { return (false, false) }
            return (true, row["end_announced"] as Int == 1)
        }

        // Stays until tomorrow (really): the host clock, three days ahead, says it ended two days ago.
        let staying = NotificationFixtures.people(1, born: "1990-03-15")[0]
        // Ended yesterday (really): announced, which shows the watcher ran after both were stored.
        let left = NotificationFixtures.people(1, born: "1991-04-16")[0]
        let inputs = try events(staying, temporaryUntil: today.adding(days: 1), topics: topics) + events(left, temporaryUntil: today.adding(days: -1), topics: topics)
        _ = try await producer.send(Array(inputs.prefix(2)))
        // Until the index has made its store and tables, there is nothing to read yet.
        try await waitUntil("the index stored the stay that has not ended", timeout: .seconds(60), interval: .milliseconds(200)) {
            (try? await period(staying, 2))?.exists == true
        }
        _ = try await producer.send(Array(inputs.suffix(2)))
        try await waitUntil("the stay that really ended is announced", timeout: .seconds(90), interval: .milliseconds(200)) { try await period(left, 2).announced }
        let stay = try await period(staying, 2)
        row.check(stay.exists && !stay.announced, stay.exists ? "a stay that has not ended was announced as ended by a clock running ahead" : "the stay is not in the store")

        let changes = try await publishedChanges(topics, causedBy: inputs.map { try RegistryEventDecoder().decodeAttributes(from: $0.value ?? []).id }, row)
        let ended = changes.filter { $0.change == .temporaryEnded }
        let early = ended.filter { $0.iin == staying }.count
        let onTime = ended.filter { $0.iin == left }.count
        row.check(early == 0, "\(early) stays ended early")
        row.check(ended.count == onTime && onTime == 1, "\(onTime) of 1 ended on time, \(ended.count) ends announced")
        let current = Mutex<[AddressCurrent]>([])
        _ = try await EventTally.read([topics.name(for: .addressCurrent)], inspect: { message in
            let state = try RegistryEventDecoder().decode(AddressCurrent.self, from: message.value ?? []).data
            current.withLock { $0.append(state) }
        })
        row.check(
            current.withLock { $0.last(where: { $0.iin == staying }) }?.temporary?.validUntil == today.adding(days: 1),
            "address.current does not show the stay that has not ended")
        row.check(index.output.contains(CalendarDate(utc: Date().addingTimeInterval(3 * Self.day)).description), "the index's own clock was not shifted")
        await index.kill()
        row.messages = "\(inputs.count) accepted events, 2 stays, \(changes.count) changes"
        return "\(early) ended early, \(onTime) of 1 ended on time"
    }

    @Test func aClockRunningBehindDoesNotAcceptExpiredTokens() async throws {
        try await FaultRow.measure("clock behind", injected: "address-index host clock -2 days") { row in
            try await clockBehind(row)
        }
    }

    func clockBehind(_ row: FaultRow) async throws -> String {
        let (topics, producer) = try await prepareTopics("skew-behind")
        let (index, port, _) = try skewedIndex(topics, skew: -2 * Self.day)
        defer { Task { await index.kill() } }
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: TestSecrets.jwt), digestAlgorithm: .sha256)
        func token(issued: TimeInterval, expires: TimeInterval) async throws -> [String: String] {
            let claims = RegistryTokenClaims(
                sub: "123456789012", role: .agency, scope: "address:read", org: "Akimat",
                expires: Date().addingTimeInterval(expires), issued: Date().addingTimeInterval(issued))
            return ["Authorization": "Bearer \(try await keys.sign(claims))", "X-Purpose": "clock skew test"]
        }
        let person = NotificationFixtures.people(1, born: "1988-07-01")[0]
        let url = "http://127.0.0.1:\(port)/v1/persons/\(person.rawValue)/registration"
        // Issued two hours ago, expired an hour ago: valid by the host clock, two days behind.
        // (Lifetimes stay within REGISTRY_JWT_MAX_LIFETIME, 24 h.)
        let expired = try await token(issued: -7200, expires: -3600)
        let fresh = try await token(issued: 0, expires: 600)
        let oldButValid = try await token(issued: -20 * 3600, expires: 3600)

        let inputs = try events(person, temporaryUntil: today.adding(days: 30), topics: topics)
        _ = try await producer.send(inputs)
        // Answered once the person's events are applied, so a consumed message has shown the real time.
        try await waitUntil("the index answers for the person", timeout: .seconds(60), interval: .milliseconds(200)) {
            await httpGet(url, headers: oldButValid)?.status == 200
        }
        let refused = await httpGet(url, headers: expired)
        let expiredAccepted = refused?.status == 401 && refused?.body.contains("expired") == true ? 0 : 1
        row.check(expiredAccepted == 0, "an expired token was accepted by a clock running behind: \(refused.map { "\($0.status) \($0.body)" } ?? "no answer")")
        // "Issued in the future" by the host clock, but not by the messages' time.
        let freshAnswer = await httpGet(url, headers: fresh)
        let validRefused = freshAnswer?.status == 200 ? 0 : 1
        row.check(validRefused == 0, "a fresh token is refused: \(freshAnswer.map { "\($0.status) \($0.body)" } ?? "no answer")")
        row.check(index.output.contains("the host clock is behind the timestamps of consumed messages"), "the skew is not reported")
        row.check(index.output.contains(CalendarDate(utc: Date().addingTimeInterval(-2 * Self.day)).description), "the index's own clock was not shifted")
        try await waitUntil("the index has published its changes", timeout: .seconds(30), interval: .milliseconds(200)) {
            try await EventTally.held([topics.name(for: .addressChanged)]) >= Int64(inputs.count)
        }
        let changes = try await publishedChanges(topics, causedBy: inputs.map { try RegistryEventDecoder().decodeAttributes(from: $0.value ?? []).id }, row)
        await index.kill()
        row.messages = "\(inputs.count) accepted events, \(changes.count) changes, 3 tokens (expired, fresh, old but valid)"
        return "expired accepted: \(expiredAccepted), valid refused: \(validRefused)"
    }
}

/// The clock shim could not be built.
struct ShimUnavailable: Error, CustomStringConvertible {
    let description: String
}
