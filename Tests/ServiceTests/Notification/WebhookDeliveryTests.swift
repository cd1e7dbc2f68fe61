// Deliveries to a real webhook receiver on loopback: retries, dead, replay, timeouts, order,
// signatures checked by Python, owner alerts.

import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Kafka
import RegistrySchema
import ServiceRuntime
import Synchronization
import Testing
import TestSupport
@testable import Notification

@Suite(.timeLimit(.minutes(3))) struct WebhookDeliveryTests {
    typealias F = NotificationFixtures

    @Test func aFailingReceiverIsRetriedOnTheScheduleWithOneWebhookIDThenDelivered() async throws {
        let receiver = try await WebhookReceiver { $0.arrival <= 2 ? .status(503) : .status(204) }
        defer { receiver.stop() }
        let (application, engine) = try await F.start()
        defer { engine.cancel() }
        let person = F.people(1)[0]
        let token = try await F.token()
        try await application.http.test(.live) { client in
            let subscription = try await F.subscribe(client, F.webhook(receiver.url), token: token)
            try await F.apply(application, [try F.changed(person, sequence: 1, id: "changed-retry-1")])
            try await waitUntil("three attempts", timeout: .seconds(20)) { receiver.requests.count >= 3 }
            try await waitUntil("the delivery is recorded as delivered") {
                try await client.execute(uri: "/v1/subscriptions/\(subscription)/deliveries?status=delivered", method: .get, headers: F.headers(token)) {
                    String(buffer: $0.body).contains(#""attempts":3"#)
                }
            }
        }
        let requests = receiver.requests
        #expect(requests.count == 3)
        #expect(Set(requests.map(\.id)) == ["changed-retry-1"], "every retry carries the event id as webhook-id")
        #expect(requests.allSatisfy { $0.body == requests[0].body }, "the same CloudEvent bytes each time")
        #expect(requests[0].contentType.hasPrefix("application/cloudevents+json"))
        let gaps = zip(requests.dropFirst(), requests).map { $0.arrived - $1.arrived }
        print("retry gaps: \(gaps) (schedule 300ms, 600ms, jitter up to +10%)")
        // Never earlier than the schedule; the upper bounds only catch a schedule that is not used.
        #expect(gaps[0] >= .milliseconds(300) && gaps[0] < .milliseconds(3_000))
        #expect(gaps[1] >= .milliseconds(600) && gaps[1] < .milliseconds(3_500))
        #expect(try await verifiedByPython(requests[2], secret: F.secret))
        let outcomes = try await F.outcomes(application)
        #expect(outcomes.map(\.status) == [.retrying, .retrying, .delivered])
        #expect(outcomes.map(\.attempt) == [1, 2, 3])
        #expect(outcomes.map(\.httpStatus) == [503, 503, 204])
    }

    /// A restart, or a rebalance that takes a partition away and gives it back, drops the
    /// partition's unfinished deliveries and queues them again from the group's offset: the
    /// delivery counts its attempts anew. Its outcome events must not reuse the ids of the
    /// outcomes recorded before (they did: `subscription/event/attempt`, seen in the fault suite).
    @Test func aDeliveryQueuedAgainAfterAHandoverGetsOutcomeIDsOfItsOwn() async throws {
        let healthy = Atomic<Bool>(false)
        let receiver = try await WebhookReceiver { _ in healthy.load(ordering: .relaxed) ? .status(204) : .status(503) }
        defer { receiver.stop() }
        let (application, engine) = try await F.start(["WEBHOOK_RETRY_GIVE_UP": "1m"])
        defer { engine.cancel() }
        let ownership = try #require(application.services.compactMap { $0 as? DeliveryOwnership }.first)
        let partitions: Set = [KafkaTopicPartition(topic: TopicNames().name(for: .addressChanged), partition: 0)]
        let token = try await F.token()
        try await application.http.test(.live) { client in
            _ = try await F.subscribe(client, F.webhook(receiver.url), token: token)
            try await F.apply(application, [try F.changed(F.people(1)[0], sequence: 1, id: "changed-handover-1")])
            try await waitUntil("a failed attempt is recorded", timeout: .seconds(20)) { try await F.outcomes(application).count >= 1 }
            ownership.released(partitions)
            try ownership.restore(partitions, committed: [:])
            ownership.ownOutsideAnyGroup(partitions)  // no group renews the lease here
            healthy.store(true, ordering: .relaxed)
            try await waitUntil("the delivery is delivered", timeout: .seconds(20)) {
                try await F.outcomes(application).contains { $0.status == .delivered }
            }
        }
        let events = try await application.environment.store.read { try Outbox.oldest(10_000, in: $0) }.compactMap { row -> CloudEvent<NotificationOutcome>? in
            guard row.message.topic == "notification.outcome.v1", let value = row.message.value else { return nil }
            return try RegistryEventDecoder().decode(NotificationOutcome.self, from: value)
        }
        print("outcomes: \(events.map { "\($0.data.status.rawValue) attempt \($0.data.attempt)" })")
        #expect(events.filter { $0.data.attempt == 1 }.count >= 2, "the delivery queued again counts its attempts anew")
        #expect(Set(events.map(\.id)).count == events.count, "two outcome events share an id")
        #expect(events.allSatisfy { $0.data.eventId == "changed-handover-1" && $0.subject == F.people(1)[0].rawValue })
    }

    @Test func afterTheLastAttemptADeliveryIsDeadAndReplayDeliversItAgain() async throws {
        let healthy = Atomic<Bool>(false)
        let receiver = try await WebhookReceiver { _ in healthy.load(ordering: .relaxed) ? .status(200) : .status(500) }
        defer { receiver.stop() }
        let refusing = try RefusingPort()
        let (application, engine) = try await F.start()
        defer { engine.cancel() }
        let person = F.people(1)[0]
        let token = try await F.token()
        try await application.http.test(.live) { client in
            let subscription = try await F.subscribe(client, F.webhook(receiver.url), token: token)
            let refused = try await F.subscribe(client, F.webhook("http://127.0.0.1:\(refusing.port)/hook"), token: token)
            let before = Timestamp(.now).adding(seconds: -1)
            try await F.apply(application, [try F.changed(person, sequence: 1, id: "changed-dead-1")])
            for id in [subscription, refused] {
                try await waitUntil("the delivery of \(id) is dead", timeout: .seconds(20)) {
                    try await client.execute(uri: "/v1/subscriptions/\(id)/deliveries?status=dead", method: .get, headers: F.headers(token)) {
                        String(buffer: $0.body).contains(#""attempts":3"#)
                    }
                }
            }
            try await client.execute(uri: "/v1/subscriptions/\(refused)/deliveries", method: .get, headers: F.headers(token)) { response in
                let body = String(buffer: response.body)
                print("a receiver that refuses connections: \(body)")
                #expect(body.contains(#""status":"dead""#) && body.contains(#""error":"could not connect""#) && !body.contains("httpStatus"))
            }
            #expect(receiver.requests.count == 3)
            healthy.store(true, ordering: .relaxed)
            try await client.execute(
                uri: "/v1/subscriptions/\(subscription)/replay", method: .post, headers: F.headers(token), body: ByteBuffer(string: #"{"since":"\#(before)"}"#)
            ) { response in
                #expect(response.status == .accepted)
                #expect(String(buffer: response.body).contains(#""queued":1"#))
            }
            try await waitUntil("the replayed delivery arrives") { receiver.requests.count == 4 }
            try await waitUntil("it is recorded as delivered") {
                try await client.execute(uri: "/v1/subscriptions/\(subscription)/deliveries?status=delivered", method: .get, headers: F.headers(token)) {
                    String(buffer: $0.body).contains(#""attempts":4"#)
                }
            }
            try await client.execute(
                uri: "/v1/subscriptions/\(subscription)/replay", method: .post, headers: F.headers(token), body: ByteBuffer(string: #"{"since":"yesterday"}"#)
            ) { #expect($0.status == .badRequest) }
        }
        #expect(Set(receiver.requests.map(\.id)) == ["changed-dead-1"])
        let outcomes = try await F.outcomes(application)
        #expect(outcomes.filter { $0.status == .dead }.count == 2)
        #expect(outcomes.last?.status == .delivered && outcomes.last?.attempt == 4)
    }

    @Test func aSlowReceiverGetsAtMostItsShareAndHoldsUpNobodyAndASilentOneTimesOut() async throws {
        let slow = try await WebhookReceiver { _ in .after(.milliseconds(700), 204) }
        let fast = try await WebhookReceiver()
        let silent = try await WebhookReceiver { _ in .after(.seconds(10), 204) }
        defer {
            for receiver in [slow, fast, silent] { receiver.stop() }
        }
        // The slow receiver answers well within the timeout; the silent one never does.
        let (application, engine) = try await F.start(["WEBHOOK_RETRY_GIVE_UP": "300ms", "WEBHOOK_TIMEOUT": "3s"])
        defer { engine.cancel() }
        let people = F.people(10)
        let token = try await F.token()
        try await application.http.test(.live) { client in
            _ = try await F.subscribe(client, F.webhook(slow.url), token: token)
            _ = try await F.subscribe(client, F.webhook(fast.url), token: token)
            let unanswered = try await F.subscribe(client, F.webhook(silent.url, filter: #"{"iins":["\#(people[0].rawValue)"]}"#), token: token)
            try await F.apply(application, try people.enumerated().map { try F.changed($1, sequence: 1, id: "changed-slow-\($0)") })
            try await waitUntil("the fast receiver has all ten", timeout: .seconds(20)) { fast.distinctIDs.count == 10 }
            print("when the fast receiver had all 10, the slow one had been sent \(slow.requests.count)")
            #expect(slow.requests.count < 10, "the slow receiver did not get everything first")
            try await waitUntil("the slow receiver has all ten", timeout: .seconds(20)) { slow.distinctIDs.count == 10 }
            try await waitUntil("the timed-out attempt is recorded", timeout: .seconds(30)) {
                try await client.execute(uri: "/v1/subscriptions/\(unanswered)/deliveries", method: .get, headers: F.headers(token)) {
                    String(buffer: $0.body).contains("no answer in time")
                }
            }
        }
        #expect(slow.mostConcurrent == 2, "WEBHOOK_RECEIVER_CONCURRENCY=2 (saw \(slow.mostConcurrent))")
        let timedOut = try await F.outcomes(application).filter { $0.httpStatus == nil }
        #expect(!timedOut.isEmpty && timedOut.allSatisfy { $0.status == .retrying || $0.status == .dead })
    }

    @Test func aPersonsChangesArriveInOrderWhileAnotherPersonsAreNotHeldUp() async throws {
        let receiver = try await WebhookReceiver { request in
            request.id == "order-x-1" && request.arrival <= 2 ? .status(500) : .status(204)
        }
        defer { receiver.stop() }
        let (application, engine) = try await F.start()
        defer { engine.cancel() }
        let people = F.people(2)
        let token = try await F.token()
        try await application.http.test(.live) { client in
            _ = try await F.subscribe(client, F.webhook(receiver.url), token: token)
        }
        try await F.apply(application, [
            try F.changed(people[0], sequence: 1, id: "order-x-1"), try F.changed(people[0], sequence: 2, change: .moved, id: "order-x-2"),
            try F.changed(people[1], sequence: 1, id: "order-y-1"), try F.changed(people[0], sequence: 3, change: .moved, id: "order-x-3"),
        ])
        try await waitUntil("all four delivered", timeout: .seconds(20)) { receiver.distinctIDs.count == 4 && receiver.requests.count == 6 }
        let order = receiver.requests.map(\.id)
        print("arrival order: \(order)")
        #expect(order.filter { $0.hasPrefix("order-x") } == ["order-x-1", "order-x-1", "order-x-1", "order-x-2", "order-x-3"])
        #expect(order.firstIndex(of: "order-y-1")! < order.lastIndex(of: "order-x-1")!, "the other person's change did not wait for the retries")
    }

    @Test func ownersAreAlertedAndOnlyTheConsentingOwnerLearnsTheName() async throws {
        let gateway = try await WebhookReceiver()
        defer { gateway.stop() }
        let (application, engine) = try await F.start(["OWNER_ALERT_WEBHOOK_URL": gateway.url, "OWNER_ALERT_WEBHOOK_SECRET": F.secret])
        defer { engine.cancel() }
        let people = F.people(3)
        let (newcomer, consenting, other) = (people[0], people[1], people[2])
        let dwelling = F.address("900001")
        let upserted = CloudEvent(id: "catalog-1", source: "/register", time: Timestamp(.now), data: AddressUpserted(
            rca: dwelling.rca, kato: dwelling.kato, region: dwelling.region, locality: dwelling.locality, street: dwelling.street,
            building: dwelling.building, flat: nil, residential: true, owners: [consenting, other]))
        let submission = CloudEvent(id: "sub-1", source: "/egov/portal", time: Timestamp(.now), data: RegistrationSubmitted(
            kind: .permanent, person: PersonDetails(iin: newcomer, surname: "Ахметов", givenName: "Арман", patronymic: nil, birthDate: newcomer.birthDate!),
            rca: dwelling.rca, validFrom: CalendarDate("2026-11-24")!, validUntil: nil,
            ownerConsent: OwnerConsent(ownerIin: consenting, givenAt: Timestamp(.now)), registration: nil, reason: nil))
        let accepted = CloudEvent(id: "accepted-1", source: "/registry/intake", time: Timestamp(.now), data: RegistrationAccepted(
            submission: SubmissionReference(source: "/egov/portal", id: "sub-1"), sequence: 1, kind: .permanent, person: submission.data.person,
            address: dwelling, previousAddress: nil, validFrom: CalendarDate("2026-11-24")!, validUntil: nil, registration: nil, reason: nil))
        let encoder = RegistryEventEncoder()
        try await F.apply(application, [
            F.message("address.catalog.v1", key: dwelling.rca.rawValue, value: try encoder.encodeBytes(upserted)),
            F.message("registration.submitted.v1", key: newcomer.rawValue, value: try encoder.encodeBytes(submission)),
            F.message("registration.accepted.v1", key: newcomer.rawValue, value: try encoder.encodeBytes(accepted)),
        ], ownerAlerts: true)
        // A registration from before owner alerts were switched on alerts nobody.
        var earlier = accepted
        earlier.id = "accepted-0"
        earlier.time = Timestamp(.now).adding(seconds: -3600)
        try await F.apply(application, [F.message("registration.accepted.v1", key: newcomer.rawValue, value: try encoder.encodeBytes(earlier))], ownerAlerts: true)
        try await waitUntil("both owners alerted", timeout: .seconds(20)) { gateway.distinctIDs.count == 2 }
        let alerts = gateway.requests
        let toConsenting = try #require(alerts.first { $0.text.contains(#""owner":"\#(consenting.rawValue)""#) })
        let toOther = try #require(alerts.first { $0.text.contains(#""owner":"\#(other.rawValue)""#) })
        print("owner alert to the consenting owner: \(toConsenting.text)")
        #expect(toConsenting.text.contains("Ахметов") && toConsenting.text.contains(#""rca":"900001""#))
        #expect(!toOther.text.contains("Ахметов") && toOther.text.contains(#""newcomer":null"#))
        #expect(alerts.allSatisfy { $0.text.contains("kz.registry.owner-alert.v1") && !$0.text.contains(newcomer.rawValue) })
        #expect(try await verifiedByPython(toOther, secret: F.secret))
    }

    @Test func theSignatureMatchesTheStandardWebhooksVector() throws {
        let secret = try WebhookSecret(F.secret)
        let signature = WebhookSignature.sign(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8), key: secret.key)
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(throws: WebhookSecret.InvalidSecret.self) { try WebhookSecret("short") }
        #expect(throws: WebhookSecret.InvalidSecret.self) { try WebhookSecret("whsec_!!!") }
        let generated = WebhookSecret.generate()
        #expect(generated.text.hasPrefix("whsec_") && generated.secret.key.count == 32)
    }

    @Test func theDefaultScheduleIsDesignsAndDurationsParse() {
        let schedule = RetrySchedule.standard
        #expect(schedule.attempts == 18, "1 + 7 listed pauses + 10 six-hour pauses: within 3 days even with the most jitter")
        #expect(schedule.pauses.prefix(7) == [.seconds(5), .seconds(30), .seconds(120), .seconds(600), .seconds(1800), .seconds(3600), .seconds(10800)])
        #expect(schedule.pauses.dropFirst(7).allSatisfy { $0 == .seconds(21600) })
        #expect(schedule.pauses.reduce(.zero, +) * 1.1 <= .seconds(259_200))
        #expect(schedule.pause(after: 18) == nil && schedule.pause(after: 1, jitter: 0.05) == .milliseconds(5250))
        #expect(RetrySchedule.durations("250ms, 5s,2m,1h,3d") == [.milliseconds(250), .seconds(5), .seconds(120), .seconds(3600), .seconds(259_200)])
        #expect(RetrySchedule.durations("5 seconds") == nil && RetrySchedule.durations("") == nil && RetrySchedule.durations("0s") == nil)
    }
}
