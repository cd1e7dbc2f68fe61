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

    /// Runs probes against an application as a caller allowed to use its routes.
    func attack(_ application: ServiceApplication, token: String, _ probes: [Probe]) async throws {
        var fields: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
        fields[HTTPField.Name("X-Purpose")!] = "security review"
        let headers = fields
        try await application.http.test(.live) { client in
            for probe in probes {
                try await client.execute(uri: probe.path, method: probe.method, headers: headers, body: probe.body.map { ByteBuffer(bytes: $0) }) { response in
                    let status = Int(response.status.code)
                    #expect(probe.allowed.contains(status), "\(probe.method) \(probe.path.prefix(120)) [\(probe.body?.count ?? 0) bytes] → \(status) \(String(buffer: response.body).prefix(200))")
                    if status >= 400 { #expect(response.headers[.contentType] == "application/problem+json", "\(probe.path.prefix(80))") }
                }
            }
        }
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
        // Intake: submissions.
        let intake = try await TestApplication.make(RegistrationIntakeService.self, environment: ["HTTP_RATE_LIMIT": "0"])
        var probes = Self.hostileBodies(array: "data").map { Probe(method: .post, path: "/v1/submissions", body: $0) }
        for value in Self.nasty {
            // A source the token does not hold is refused before anything is looked up (403).
            probes.append(Probe(method: .get, path: "/v1/submissions/\(encoded(value))?source=\(encoded(value))", allowed: [400, 403, 404, 405, 413, 414, 415, 422]))
        }
        try await attack(intake, token: try await token(.upstream, "egov-portal", scope: nil), probes)
        let queued = try await intake.environment.store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM outbox WHERE topic LIKE '%submitted%'") }
        #expect(queued == 0, "no hostile submission was published")

        // Index: persons, residents, batch, certificate verification.
        let index = try await TestApplication.make(AddressIndexService.self, environment: ["HTTP_RATE_LIMIT": "0"])
        probes = Self.hostileBodies(array: "iins").map { Probe(method: .post, path: "/v1/registrations:batch", body: $0) }
        probes += Self.hostileBodies(array: "certificate").map { Probe(method: .post, path: "/v1/certificates/verify", body: $0) }
        for value in Self.nasty {
            probes += ["registration", "history", "certificate"].map { Probe(method: .get, path: "/v1/persons/\(encoded(value))/\($0)") }
            probes.append(Probe(method: .get, path: "/v1/persons/860101300126/registration?at=\(encoded(value))"))
            probes.append(Probe(method: .get, path: "/v1/addresses/\(encoded(value))/residents"))
        }
        try await attack(index, token: try await token(.agency, "123456789012", scope: "address:read address:bulk residents:read"), probes)

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
        try await attack(notification, token: try await token(.agency, "123456789012", scope: "subscriptions:write address:read"), probes)
        let subscriptions = try await notification.environment.store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM subscription") }
        #expect(subscriptions == 0, "no hostile subscription was stored")

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
        try await attack(audit, token: try await token(.auditor, "auditor-1", scope: nil), probes)
        let records = try await audit.environment.store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM audit_record") }
        #expect(records == 0)
        print("hostile input: \(Self.nasty.count) nasty values in every path and query parameter, 8 hostile bodies per JSON route: all refused with 4xx")
        print("faults | hostile HTTP input, every route | \(Self.nasty.count) values × every parameter, 8 bodies per JSON route | 0 stored | - | - | clear 4xx, never 5xx")
    }
}
