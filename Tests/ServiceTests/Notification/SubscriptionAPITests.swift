// The subscriptions API over real HTTP: who may do what, validation, and the filters.

import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RegistrySchema
import ServiceRuntime
import Testing
import TestSupport
@testable import Notification

@Suite(.timeLimit(.minutes(3))) struct SubscriptionAPITests {
    typealias F = NotificationFixtures

    @Test func anAgencySeesAndManagesOnlyItsOwnSubscriptions() async throws {
        let application = try await TestApplication.make(NotificationService.self)
        let mine = try await F.token()
        let theirs = try await F.token(.agency, F.otherAgency)
        let unscoped = try await F.token(.agency, F.agency, scope: "address:read")
        let citizen = try await F.token(.citizen, "860101300126", scope: nil)
        try await application.http.test(.live) { client in
            let id = try await F.subscribe(client, F.webhook("https://agency.example/hooks/registry?x=1"), token: mine)
            let paths: [(HTTPRequest.Method, String, String?)] = [
                (.get, "/v1/subscriptions/\(id)", nil), (.get, "/v1/subscriptions/\(id)/deliveries", nil),
                (.post, "/v1/subscriptions/\(id)/replay", #"{"since":"2026-01-01T00:00:00Z"}"#), (.delete, "/v1/subscriptions/\(id)", nil),
            ]
            for (method, path, body) in paths {
                let buffer = body.map { ByteBuffer(string: $0) }
                try await client.execute(uri: path, method: method, headers: F.headers(theirs), body: buffer) { response in
                    #expect(response.status == .notFound, "another agency: \(method) \(path)")
                    #expect(!String(buffer: response.body).contains(F.agency))
                }
                try await client.execute(uri: path, method: method, headers: F.headers(unscoped), body: buffer) { #expect($0.status == .forbidden) }
                try await client.execute(uri: path, method: method, headers: F.headers(citizen, purpose: nil), body: buffer) { #expect($0.status == .forbidden) }
                try await client.execute(uri: path, method: method, headers: [:], body: buffer) { #expect($0.status == .unauthorized) }
                try await client.execute(uri: path, method: method, headers: F.headers(mine, purpose: nil), body: buffer) { #expect($0.status == .badRequest) }
            }
            try await client.execute(uri: "/v1/subscriptions", method: .get, headers: F.headers(theirs)) { response in
                #expect(String(buffer: response.body) == #"{"subscriptions":[]}"#)
            }
            try await client.execute(uri: "/v1/subscriptions/\(id)", method: .get, headers: F.headers(mine)) { response in
                let body = String(buffer: response.body)
                #expect(response.status == .ok && body.contains(#""url":"https://agency.example/hooks/registry?x=1""#))
                #expect(!body.contains("whsec_") && !body.contains("secret"), "the secret cannot be read back")
            }
            // Deleting stops what waits: the pending delivery is cancelled.
            try await F.apply(application, [try F.changed(F.people(1)[0], sequence: 1, id: "before-delete")])
            try await client.execute(uri: "/v1/subscriptions/\(id)", method: .delete, headers: F.headers(mine)) { #expect($0.status == .noContent) }
            let statuses = try await application.environment.store.read { try String.fetchAll($0, sql: "SELECT status FROM delivery") }
            #expect(statuses == ["cancelled"])
            try await client.execute(uri: "/v1/subscriptions/\(id)", method: .get, headers: F.headers(mine)) { #expect($0.status == .notFound) }
            // Without a secret, the service makes one and shows it once.
            let body = #"{"delivery":{"type":"webhook","url":"https://agency.example/h"}}"#
            try await client.execute(uri: "/v1/subscriptions", method: .post, headers: F.headers(mine), body: ByteBuffer(string: body)) { response in
                #expect(response.status == .created)
                #expect(String(buffer: response.body).contains(#""secret":"whsec_"#))
                #expect(response.headers[.location]?.hasPrefix("/v1/subscriptions/sub_") == true)
            }
        }
    }

    @Test func badSubscriptionsAreRefusedWithWhatIsWrong() async throws {
        let application = try await TestApplication.make(NotificationService.self)
        let token = try await F.token()
        let cases: [(String, String)] = [
            (F.webhook("ftp://agency.example/h"), "http:// or https://"),
            (F.webhook("https://user:pass@agency.example/h"), "credentials"),
            (F.webhook("/relative"), "http:// or https://"),
            (F.webhook("http://agency.example/h"), "must use https://"),
            (F.webhook("https://127.0.0.1:9000/h"), "loopback, private or other special-purpose"),
            (F.webhook("https://169.254.169.254/latest/meta-data"), "loopback, private or other special-purpose"),
            (F.webhook("https://10.1.2.3/h"), "loopback, private or other special-purpose"),
            (F.webhook("https://localhost/h"), "loopback, private or other special-purpose"),
            (F.webhook("https://2130706433/h"), "loopback, private or other special-purpose"),
            (F.webhook("https://127.1/h"), "loopback, private or other special-purpose"),
            (F.webhook("https://0x7f.0.0.1/h"), "loopback, private or other special-purpose"),
            (F.webhook("https://[::0:1]/h"), "loopback, private or other special-purpose"),
            (F.webhook("https://localhost./h"), "loopback, private or other special-purpose"),
            (F.webhook("https://198.18.0.1/h"), "loopback, private or other special-purpose"),
            (F.webhook("https://240.0.0.1/h"), "loopback, private or other special-purpose"),
            (#"{"delivery":{"type":"email","url":"https://a.example/h"}}"#, "delivery.type"),
            (#"{"delivery":{"type":"webhook","url":"https://a.example/h","secret":"too short"}}"#, "24 to 512 bytes"),
            (F.webhook("https://a.example/h", filter: #"{"katoPrefixes":["75x"]}"#), "filter.katoPrefixes[0]"),
            (F.webhook("https://a.example/h", filter: #"{"iins":["860101300126","860101300125"]}"#), "filter.iins[1]"),
            (F.webhook("https://a.example/h", filter: #"{"iins":[]}"#), "filter.iins is empty"),
            (F.webhook("https://a.example/h", filter: #"{"changes":["teleported"]}"#), "filter.changes[0]"),
            (F.webhook("https://a.example/h", filter: #"{"changes":[],"alerts":false}"#), "matches nothing"),
            (#"{"filter":{}}"#, "delivery: missing required field"),
            ("not json", "The body is not valid"),
        ]
        try await application.http.test(.live) { client in
            for (body, wanted) in cases {
                try await client.execute(uri: "/v1/subscriptions", method: .post, headers: F.headers(token), body: ByteBuffer(string: body)) { response in
                    let text = String(buffer: response.body)
                    #expect(response.status == .badRequest, "\(body)")
                    #expect(response.headers[.contentType] == "application/problem+json")
                    #expect(text.contains(wanted), "\(body) → \(text)")
                }
            }
            try await client.execute(uri: "/v1/subscriptions", method: .get, headers: F.headers(token)) { #expect(String(buffer: $0.body) == #"{"subscriptions":[]}"#) }
        }
    }

    static func post(_ client: some TestClientProtocol, _ body: String, _ token: String) async throws -> (HTTPResponse.Status, String) {
        try await client.execute(uri: "/v1/subscriptions", method: .post, headers: F.headers(token), body: ByteBuffer(string: body)) {
            ($0.status, String(buffer: $0.body))
        }
    }

    @Test func aSubscriptionIsAReadQuotasAndReplayBoundsAnswerWithAClearProblem() async throws {
        let application = try await TestApplication.make(NotificationService.self, environment: [
            "SUBSCRIPTIONS_PER_AGENCY": "2", "WATCHED_IINS_PER_AGENCY": "5", "REPLAY_MAX_SPAN": "1d", "REPLAYS_PER_HOUR": "2",
        ])
        let mine = try await F.token()
        let writeOnly = try await F.token(.agency, F.agency, scope: "subscriptions:write")
        let theirs = try await F.token(.agency, F.otherAgency)
        try await application.http.test(.live) { client in
            // A subscription is a nationwide address feed: it needs address:read like any lookup.
            let refused = try await Self.post(client, F.webhook("https://a.example/h"), writeOnly)
            #expect(refused.0 == .forbidden, "\(refused)")

            let first = try await F.subscribe(client, F.webhook("https://a.example/h"), token: mine)
            _ = try await F.subscribe(client, F.webhook("https://a.example/h"), token: mine)
            let third = try await Self.post(client, F.webhook("https://a.example/h"), mine)
            #expect(third.0 == .tooManyRequests, "\(third)")
            #expect(third.1.contains("2 subscriptions") && third.1.contains(#""status":429"#), "\(third.1)")
            // Another agency has its own quota; deleting one makes room.
            _ = try await F.subscribe(client, F.webhook("https://b.example/h", filter: #"{"iins":["\#(F.people(3).map(\.rawValue).joined(separator: #"",""#))"]}"#), token: theirs)
            let overWatched = try await Self.post(client, F.webhook("https://b.example/h", filter: #"{"iins":["\#(F.people(3, born: "1990-01-01").map(\.rawValue).joined(separator: #"",""#))"]}"#), theirs)
            #expect(overWatched.0 == .tooManyRequests && overWatched.1.contains("5"), "watch-lists over the agency's total: \(overWatched)")
            try await client.execute(uri: "/v1/subscriptions/\(first)", method: .delete, headers: F.headers(mine)) { #expect($0.status == .noContent) }
            _ = try await F.subscribe(client, F.webhook("https://a.example/h"), token: mine)

            // Replays: not further back than REPLAY_MAX_SPAN, not more often than REPLAYS_PER_HOUR.
            let list = try await client.execute(uri: "/v1/subscriptions", method: .get, headers: F.headers(mine)) { String(buffer: $0.body) }
            let id = try #require(list.split(separator: "\"").first { $0.hasPrefix("sub_") }.map(String.init))
            func replay(since: Timestamp) async throws -> (HTTPResponse.Status, String, String?) {
                try await client.execute(
                    uri: "/v1/subscriptions/\(id)/replay", method: .post, headers: F.headers(mine), body: ByteBuffer(string: #"{"since":"\#(since)"}"#)
                ) { ($0.status, String(buffer: $0.body), $0.headers[.retryAfter]) }
            }
            let tooFar = try await replay(since: Timestamp(.now).adding(seconds: -2 * 86_400))
            #expect(tooFar.0 == .badRequest && tooFar.1.contains("REPLAY_MAX_SPAN"), "\(tooFar)")
            #expect(try await replay(since: Timestamp(.now).adding(seconds: -3600)).0 == .accepted)
            #expect(try await replay(since: Timestamp(.now).adding(seconds: -3600)).0 == .accepted)
            let tooOften = try await replay(since: Timestamp(.now).adding(seconds: -3600))
            #expect(tooOften.0 == .tooManyRequests && tooOften.2 != nil && tooOften.1.contains("REPLAYS_PER_HOUR"), "\(tooOften)")
        }
    }

    @Test func filtersByKatoPrefixChangeKindAlertsAndAWatchListOf100000() async throws {
        let application = try await TestApplication.make(NotificationService.self)
        let token = try await F.token()
        let watched = F.people(100_000)
        let outsider = F.people(1, born: "1999-09-09")[0]
        let ids = try await application.http.test(.live) { client in
            let list = watched.map { #""\#($0.rawValue)""# }.joined(separator: ",")
            return [
                "almaty": try await F.subscribe(client, F.webhook("https://a.example/h", filter: #"{"katoPrefixes":["75"]}"#), token: token),
                "moves": try await F.subscribe(client, F.webhook("https://a.example/h", filter: #"{"changes":["moved"]}"#), token: token),
                "watch": try await F.subscribe(client, F.webhook("https://a.example/h", filter: #"{"iins":[\#(list)]}"#), token: token),
                "alerts": try await F.subscribe(client, F.webhook("https://a.example/h", filter: #"{"changes":[],"alerts":true}"#), token: token),
            ]
        }
        let alert = CloudEvent(id: "alert-1", source: "/registry/address-index", time: Timestamp(.now), data: OccupancyAlert(
            rca: RCA(rawValue: "400001")!, kato: KATO(rawValue: "711210000")!, residents: 11, threshold: 10))
        try await F.apply(application, [
            try F.changed(watched[99_999], sequence: 1, kato: "751110000", id: "e-almaty-registered-watched"),
            try F.changed(outsider, sequence: 1, change: .moved, kato: "711210000", id: "e-astana-moved-outsider"),
            try F.changed(watched[5], sequence: 2, change: .moved, kato: "711210000", id: "e-astana-moved-watched"),
            try F.changed(outsider, sequence: 2, kato: "751110000", time: Timestamp(.now).adding(seconds: -3600), id: "e-before-subscriptions"),
            F.message("address.alerts.v1", key: "400001", value: try RegistryEventEncoder().encodeBytes(alert)),
            try F.changed(outsider, sequence: 3, kato: "751110000", id: "e-almaty-registered-watched"),
        ])
        // Lists, not sets: the repeated event id must not give a second delivery.
        let routed = try await application.environment.store.read { db in
            try Row.fetchAll(db, sql: "SELECT d.subscription_id, e.event_id FROM delivery d JOIN notification_event e ON e.seq = d.event_seq ORDER BY d.id")
                .reduce(into: [String: [String]]()) { $0[$1["subscription_id"], default: []].append($1["event_id"]) }
        }
        #expect(routed[ids["almaty"]!] == ["e-almaty-registered-watched"])
        #expect(routed[ids["moves"]!] == ["e-astana-moved-outsider", "e-astana-moved-watched"])
        #expect(routed[ids["watch"]!] == ["e-almaty-registered-watched", "e-astana-moved-watched"])
        #expect(routed[ids["alerts"]!] == ["alert-1"])
        // The watch-list is found through its index, not by reading the list.
        let plan = try await application.environment.store.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + SubscriptionStore.watchersSQL, arguments: [watched[0].rawValue, 0]).map { $0["detail"] as String }
        }
        print("watch-list lookup plan: \(plan)")
        #expect(plan.allSatisfy { !$0.hasPrefix("SCAN") }, "\(plan)")
    }
}
