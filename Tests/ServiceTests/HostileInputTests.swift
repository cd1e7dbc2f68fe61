// Hostile input against every route of every service: clear 4xx, never 5xx, nothing stored.

import AddressIndex
import Audit
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import Notification
import RegistrationIntake
import ServiceRuntime
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3))) struct HostileInputTests {
    /// Values an attacker puts into path and query parameters.
    static let nasty = [
        "' OR 1=1 --", "1; DROP TABLE outbox", "../../../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%00", "８６０１０１３００１２６",
        "860101300126\u{200B}", String(repeating: "9", count: 5_000), "<script>alert(1)</script>", "${jndi:ldap://x}",
    ]

    func token(_ role: Role, _ sub: String, scope: String?) async throws -> String {
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: TestSecrets.jwt), digestAlgorithm: .sha256)
        return try await keys.sign(RegistryTokenClaims(sub: sub, role: role, scope: scope, org: "Test", expires: Date().addingTimeInterval(600), sources: role == .upstream ? ["/"] : nil))
    }

    struct Probe {
        let method: HTTPRequest.Method
        let path: String
        var body: [UInt8]? = nil
        /// Statuses that are a correct refusal here.
        var allowed: Set<Int> = [400, 404, 405, 413, 414, 415, 422]
    }

    /// Runs probes against an application as a caller allowed to use its routes; returns how
    /// many got each status.
    func attack(_ application: ServiceApplication, token: String, _ probes: [Probe], _ row: FaultRow) async throws -> [Int: Int] {
        var fields: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
        fields[HTTPField.Name("X-Purpose")!] = "security review"
        let headers = fields
        return try await application.http.test(.live) { client -> [Int: Int] in
            var statuses: [Int: Int] = [:]
            for probe in probes {
                try await client.execute(uri: probe.path, method: probe.method, headers: headers, body: probe.body.map { ByteBuffer(bytes: $0) }) { response in
                    let status = Int(response.status.code)
                    statuses[status, default: 0] += 1
                    row.check(probe.allowed.contains(status), "\(probe.method) \(probe.path.prefix(120)) [\(probe.body?.count ?? 0) bytes] → \(status) \(String(buffer: response.body).prefix(200))")
                    if status >= 400 {
                        row.check(response.headers[.contentType] == "application/problem+json", "\(probe.path.prefix(80)) → \(status) not as problem+json")
                    }
                }
            }
            return statuses
        }
    }

    /// Rows per table of a service's store (its own tables and the runtime's).
    func rows(_ application: ServiceApplication) async throws -> [String: Int] {
        try await application.environment.store.read { db in
            var rows: [String: Int] = [:]
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations'") {
                rows[table] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \"\(table)\"") ?? 0
            }
            // A refused request stores nothing, but an answer that tells something about a subject
            // (a 404 for a subscription, say) is recorded as an access, as every disclosure is: the
            // outbox's access.logged events are that record, not stored input.
            if rows["outbox"] != nil {
                rows["outbox"] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE topic NOT LIKE '%access.logged.v1'") ?? 0
            }
            return rows
        }
    }

    /// Attacks a service and counts what its store gained: nothing, for input that is refused.
    func attackAndCount(_ application: ServiceApplication, token: String, _ probes: [Probe], _ row: FaultRow) async throws -> (statuses: [Int: Int], stored: Int) {
        let before = try await rows(application)
        let statuses = try await attack(application, token: token, probes, row)
        let after = try await rows(application)
        var stored = 0
        for (table, count) in after where count != before[table] {
            print("hostile input: \(application.environment.descriptor.name) table \(table) went from \(before[table] ?? 0) to \(count) rows")
            stored += abs(count - (before[table] ?? 0))
        }
        return (statuses, stored)
    }

    /// Bodies that must be refused by any JSON route.
    static func hostileBodies(array field: String) -> [[UInt8]] {
        let deep = Array(String(repeating: "[", count: 100_000).utf8)
        let deepObject = Array((String(repeating: #"{"a":"#, count: 20_000) + "1" + String(repeating: "}", count: 20_000)).utf8)
        let huge = Array(#"{"x":""#.utf8) + [UInt8](repeating: 0x61, count: 2 << 20) + Array(#""}"#.utf8)
        let tenThousand = Array((#"{"\#(field)":["# + Array(repeating: #""' OR 1=1 --""#, count: 10_000).joined(separator: ",") + "]}").utf8)
        return [deep, deepObject, huge, tenThousand, [0xFF, 0xFE, 0x7B, 0x22, 0xC3, 0x28, 0x22, 0x7D], [], Array("null".utf8), Array(#"{"a":1}"#.utf8)]
    }

    func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    @Test func everyServiceRefusesHostileInputClearlyAndStoresNothing() async throws {
        try await FaultRow.measure(
            "hostile HTTP input, every route", injected: "\(Self.nasty.count) values × every parameter, 8 bodies per JSON route", countsMessages: false
        ) { row in
            try await run(row)
        }
    }

    func run(_ row: FaultRow) async throws -> String {
        var statuses: [Int: Int] = [:]
        var stored = 0
        func tally(_ outcome: (statuses: [Int: Int], stored: Int)) {
            statuses.merge(outcome.statuses, uniquingKeysWith: +)
            stored += outcome.stored
        }
        // Intake: submissions.
        let intake = try await TestApplication.make(RegistrationIntakeService.self, environment: ["HTTP_RATE_LIMIT": "0"])
        var probes = Self.hostileBodies(array: "data").map { Probe(method: .post, path: "/v1/submissions", body: $0) }
        for value in Self.nasty {
            // A source the token does not hold is refused before anything is looked up (403).
            probes.append(Probe(method: .get, path: "/v1/submissions/\(encoded(value))?source=\(encoded(value))", allowed: [400, 403, 404, 405, 413, 414, 415, 422]))
        }
        tally(try await attackAndCount(intake, token: try await token(.upstream, "egov-portal", scope: nil), probes, row))

        // Index: persons, residents, batch, certificate verification.
        let index = try await TestApplication.make(AddressIndexService.self, environment: ["HTTP_RATE_LIMIT": "0"])
        probes = Self.hostileBodies(array: "iins").map { Probe(method: .post, path: "/v1/registrations:batch", body: $0) }
        probes += Self.hostileBodies(array: "certificate").map { Probe(method: .post, path: "/v1/certificates/verify", body: $0) }
        for value in Self.nasty {
            probes += ["registration", "history", "certificate"].map { Probe(method: .get, path: "/v1/persons/\(encoded(value))/\($0)") }
            probes.append(Probe(method: .get, path: "/v1/persons/860101300126/registration?at=\(encoded(value))"))
            probes.append(Probe(method: .get, path: "/v1/addresses/\(encoded(value))/residents"))
        }
        tally(try await attackAndCount(index, token: try await token(.agency, "123456789012", scope: "address:read address:bulk residents:read"), probes, row))

        // Notification: subscriptions.
        let notification = try await TestApplication.make(NotificationService.self, environment: ["HTTP_RATE_LIMIT": "0"])
        probes = Self.hostileBodies(array: "katoPrefixes").map { Probe(method: .post, path: "/v1/subscriptions", body: $0) }
        for value in Self.nasty {
            probes += [
                Probe(method: .get, path: "/v1/subscriptions/\(encoded(value))"), Probe(method: .delete, path: "/v1/subscriptions/\(encoded(value))"),
                Probe(method: .get, path: "/v1/subscriptions/\(encoded(value))/deliveries?status=\(encoded(value))&cursor=\(encoded(value))"),
                Probe(method: .post, path: "/v1/subscriptions/\(encoded(value))/replay", body: Array(#"{"since":"2026-01-01T00:00:00Z"}"#.utf8)),
            ]
        }
        tally(try await attackAndCount(notification, token: try await token(.agency, "123456789012", scope: "subscriptions:write address:read"), probes, row))

        // Audit: queries.
        let audit = try await TestApplication.make(AuditService.self, environment: ["HTTP_RATE_LIMIT": "0"])
        probes = []
        for value in Self.nasty {
            probes.append(Probe(method: .get, path: "/v1/audit/subjects/\(encoded(value))"))
            probes.append(Probe(method: .get, path: "/v1/audit/subjects/860101300126?from=\(encoded(value))"))
            probes.append(Probe(method: .get, path: "/v1/audit/records?type=\(encoded(value))"))
            probes.append(Probe(method: .get, path: "/v1/audit/records?cursor=\(encoded(value))"))
            probes.append(Probe(method: .get, path: "/v1/audit/records?to=\(encoded(value))"))
        }
        tally(try await attackAndCount(audit, token: try await token(.auditor, "auditor-1", scope: nil), probes, row))

        let requests = statuses.values.reduce(0, +)
        let serverErrors = statuses.filter { $0.key >= 500 }.values.reduce(0, +)
        row.check(stored == 0, "\(stored) rows stored from refused input")
        row.messages = "\(requests) requests, \(stored) rows stored"
        let answered = statuses.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
        print("hostile input: \(Self.nasty.count) nasty values in every path and query parameter, 8 hostile bodies per JSON route: \(answered)")
        return "clear 4xx (\(answered)), \(serverErrors) 5xx"
    }
}
