// SSRF: a subscription must not turn notification into a client of our own network. Every form
// of an internal address is refused, at subscription time where the URL shows it and at connect
// time for what names resolve to, with one error; the receiver on loopback is never contacted;
// the connection goes to the address that was checked, found by one lookup.

import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RegistrySchema
import ServiceRuntime
import Synchronization
import Testing
import TestSupport
@testable import Notification

/// A resolver the test controls: names it knows answer as scripted (one answer per lookup, the
/// last one repeating); other hosts go to the system resolver. Counts every lookup.
final class ScriptedResolver: WebhookResolver {
    private let answers: Mutex<[String: [[ReceiverAddress]]]>
    let lookups = Mutex<[String: Int]>([:])

    init(_ answers: [String: [[String]]]) {
        self.answers = Mutex(answers.mapValues { $0.map { $0.map { ReceiverAddress.literal($0)! } } })
    }

    func addresses(of host: String) async throws -> [ReceiverAddress] {
        lookups.withLock { $0[host, default: 0] += 1 }
        let scripted = answers.withLock { answers -> [ReceiverAddress]? in
            guard var list = answers[host], !list.isEmpty else { return nil }
            let next = list.count > 1 ? list.removeFirst() : list[0]
            answers[host] = list
            return next
        }
        if let scripted { return scripted }
        return try await SystemResolver().addresses(of: host)
    }

    func count(_ host: String) -> Int { lookups.withLock { $0[host] ?? 0 } }
}

@Suite(.timeLimit(.minutes(3))) struct WebhookSSRFTests {
    typealias F = NotificationFixtures

    @Test func theSpecialPurposeRegistriesAreRefusedAndPublicAddressesAllowed() {
        let refused = [
            "0.0.0.0", "0.1.2.3", "10.0.0.1", "100.64.0.1", "100.127.255.255", "127.0.0.1", "127.255.255.254", "169.254.169.254", "172.16.0.1",
            "172.31.255.255", "192.0.0.8", "192.0.0.170", "192.0.2.1", "192.31.196.1", "192.52.193.1", "192.88.99.1", "192.168.1.1",
            "192.175.48.1", "198.18.0.1", "198.19.255.255", "198.51.100.7", "203.0.113.9", "224.0.0.1", "239.255.255.250", "240.0.0.1",
            "255.255.255.255",
            "::", "::1", "::127.0.0.1", "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:10.1.2.3", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1", "100::1", "2001::1", "2001:2::1", "2001:db8::1", "2002:7f00:1::1", "2620:4f:8000::1", "3fff::1", "5f00::1",
            "fc00::1", "fd12:3456::1", "fe80::1", "fec0::1", "ff02::1",
        ]
        let allowed = ["8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.0", "172.32.0.1", "198.17.255.255", "198.20.0.0", "223.255.255.255",
                       "2606:4700:4700::1111", "2a00:1450:4001::1", "::ffff:8.8.8.8", "64:ff9b::808:808"]
        for text in refused { #expect(ReceiverAddress.literal(text)?.isPublic == false, "\(text) must be refused") }
        for text in allowed { #expect(ReceiverAddress.literal(text)?.isPublic == true, "\(text) must be allowed") }
        // The forms the system resolver reads as loopback are read the same way here.
        for form in ["2130706433", "127.1", "0x7f.0.0.1", "017700000001", "0x7f000001", "[::0:1]", "[0:0:0:0:0:ffff:127.0.0.1]"] {
            #expect(ReceiverAddress.literal(form).map { $0 == .v4(0x7f00_0001) || $0 == ReceiverAddress.literal("::1") || !$0.isPublic } == true, "\(form)")
        }
        #expect(ReceiverAddress.literal("agency.example") == nil)
    }

    /// The text form an address is connected to reads back as the same address.
    @Test func anAddressesTextFormIsTheUsualOne() {
        for text in ["8.8.8.8", "127.0.0.1", "::1", "2606:4700:4700::1111", "2a00:1450:4001::1", "::ffff:8.8.8.8"] {
            #expect(ReceiverAddress.literal(text)?.description == text)
        }
    }

    /// The URL forms of the review, and names a controlled resolver points inside.
    static func forms(port: Int) -> (literal: [String], named: [String: [[String]]]) {
        let literal = [
            "2130706433", "127.1", "0x7f.0.0.1", "017700000001", "[::0:1]", "[::1]", "[::ffff:127.0.0.1]", "[64:ff9b::7f00:1]", "localhost.", "localhost",
            "127.0.0.1", "0.0.0.0",
        ]
        let named: [String: [[String]]] = [
            "loopback.agency.example": [["127.0.0.1"]], "private.agency.example": [["10.0.0.7"]], "metadata.agency.example": [["169.254.169.254"]],
            "benchmark.agency.example": [["198.18.0.1"]], "reserved.agency.example": [["240.0.0.1"]], "nat64.agency.example": [["64:ff9b::7f00:1"]],
            "mapped.agency.example": [["::ffff:127.0.0.1"]], "ula.agency.example": [["fd00::1"]],
            "mixed.agency.example": [["203.0.113.5", "127.0.0.1"]], "public-then-loopback.agency.example": [["8.8.8.8", "127.0.0.1"]],
        ]
        _ = port
        return (literal, named)
    }

    @Test func everyFormOfAnInternalAddressIsRefusedAndTheReceiverNeverContacted() async throws {
        // Listening on IPv6 and IPv4 loopback: any request that got through would arrive here.
        let receiver = try await WebhookReceiver(host: "::")
        defer { receiver.stop() }
        let (literal, named) = Self.forms(port: receiver.port)

        // 1. Where the URL shows the address, the subscription is refused at once, with one error.
        let application = try await TestApplication.make(NotificationService.self)
        let token = try await F.token()
        let answers = try await application.http.test(.live) { client in
            var answers: [(status: HTTPResponse.Status, detail: String)] = []
            for host in literal {
                answers.append(try await client.execute(
                    uri: "/v1/subscriptions", method: .post, headers: F.headers(token),
                    body: ByteBuffer(string: F.webhook("https://\(host):\(receiver.port)/hook"))
                ) { response in
                    let detail = (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])?["detail"] as? String
                    return (response.status, detail ?? "")
                })
            }
            return answers
        }
        for (host, answer) in zip(literal, answers) { #expect(answer.status == .badRequest, "https://\(host)/ was accepted") }
        let refusedAtSubscription = answers.filter { $0.status == .badRequest }.count
        let details = Set(answers.map(\.detail))
        #expect(details.count == 1, "one error for every form: \(details)")

        // 2. At connect time, for every form (as if stored before this check, or a name that
        //    resolves inside): refused with one error, the receiver never contacted.
        let resolver = ScriptedResolver(named)
        let sender = WebhookSender(timeout: .seconds(2), connectionsPerReceiver: 2, resolver: resolver, allowLocal: false)
        var results: [String: AttemptResult] = [:]
        for host in literal + named.keys.sorted() {
            results[host] = await sender.post("http://\(host):\(receiver.port)/hook", body: Array("{}".utf8), headers: [("webhook-id", "ssrf-\(host)")])
        }
        await sender.shutdown()
        for (host, result) in results {
            #expect(result == .failed(WebhookSender.refusedAddress), "\(host): \(result)")
        }
        for host in named.keys { #expect(resolver.count(host) == 1, "\(host) looked up \(resolver.count(host)) times") }
        let contacted = receiver.requests.count
        #expect(contacted == 0, "the receiver was contacted: \(receiver.requests.map(\.host))")
        let refusedAtConnect = results.values.filter { $0 == .failed(WebhookSender.refusedAddress) }.count
        let attempts = literal.count + results.count
        let refused = refusedAtSubscription + refusedAtConnect
        let ok = refused == attempts && contacted == 0 && details.count == 1
        print("faults | SSRF through webhook URLs | \(literal.count) literal forms (2130706433, 127.1, 0x7f.0.0.1, [::0:1], localhost. …) at subscription and connect, \(named.count) names resolving inside (private, 198.18/15, 240/4, NAT64, mapped, mixed answers) | \(attempts) attempts | - | - | \(refused) of \(attempts) refused (\(details.count) error text), receiver contacted \(contacted) times: \(ok ? "ok" : "FAILED")")
    }

    @Test func aStoredSubscriptionToALoopbackFormIsNeverDeliveredTo() async throws {
        let receiver = try await WebhookReceiver()
        defer { receiver.stop() }
        let (application, engine) = try await F.start(["WEBHOOK_ALLOW_LOCAL": "false", "WEBHOOK_RETRY_GIVE_UP": "300ms", "WEBHOOK_RETRY_SCHEDULE": "100ms"])
        engine.cancel()
        let delivering = Task { try await (application.services.first as! DeliveryEngine).run(resolving: ScriptedResolver([:])) }
        defer { delivering.cancel() }
        // Written as a subscription made before the check existed would be: 127.0.0.1 as an integer.
        let url = "http://2130706433:\(receiver.port)/hook"
        try await application.environment.store.write { db in
            _ = try SubscriptionStore(db).create(
                NewSubscription(filter: SubscriptionFilter(), url: url, receiver: "2130706433:\(receiver.port)", secret: try WebhookSecret(F.secret)),
                agency: F.agency, at: Timestamp(.now).adding(seconds: -60))
        }
        try await F.apply(application, [try F.changed(F.people(1)[0], sequence: 1, id: "ssrf-stored")])
        try await waitUntil("the delivery is dead", timeout: .seconds(20)) {
            try await application.environment.store.read { try String.fetchOne($0, sql: "SELECT status FROM delivery") } == "dead"
        }
        let error = try await application.environment.store.read { try String.fetchOne($0, sql: "SELECT error FROM delivery") }
        #expect(error == WebhookSender.refusedAddress)
        #expect(receiver.requests.isEmpty, "the receiver was contacted")
    }

    @Test func theConnectionGoesToTheCheckedAddressFoundByOneLookup() async throws {
        let receiver = try await WebhookReceiver()
        defer { receiver.stop() }
        // A name no DNS knows: only the pinned address can reach the receiver.
        let resolver = ScriptedResolver(["receiver.agency.example": [["127.0.0.1"]], "rebinding.agency.example": [["8.8.8.8"], ["127.0.0.1"]]])
        let sender = WebhookSender(timeout: .seconds(1), connectionsPerReceiver: 2, resolver: resolver, allowLocal: true)
        let first = await sender.post("http://receiver.agency.example:\(receiver.port)/hook", body: Array("{}".utf8), headers: [("webhook-id", "pinned-1")])
        let second = await sender.post("http://receiver.agency.example:\(receiver.port)/hook", body: Array("{}".utf8), headers: [("webhook-id", "pinned-2")])
        #expect(first == .answered(204) && second == .answered(204), "\(first) \(second)")
        #expect(resolver.count("receiver.agency.example") == 2, "one lookup per attempt, none by the HTTP client")
        #expect(receiver.requests.map(\.host) == ["receiver.agency.example:\(receiver.port)", "receiver.agency.example:\(receiver.port)"])
        // Rebinding: checked as 8.8.8.8, then the name would point at loopback; the attempt stays
        // with the checked address (and fails there: no route out of this sandbox, or no answer).
        let rebinding = WebhookSender(timeout: .seconds(1), connectionsPerReceiver: 1, resolver: resolver, allowLocal: false)
        let rebound = await rebinding.post("http://rebinding.agency.example:\(receiver.port)/hook", body: Array("{}".utf8), headers: [("webhook-id", "rebind-1")])
        #expect(rebound != .answered(204))
        #expect(resolver.count("rebinding.agency.example") == 1)
        #expect(receiver.requests.count == 2, "the rebound name never reached the receiver")
        await sender.shutdown()
        await rebinding.shutdown()
    }
}
