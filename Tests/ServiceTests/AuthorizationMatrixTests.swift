// The authorisation matrix of docs/architecture.md §5.1 through real HTTP.

import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import Kafka
import Logging
import Notification
import Prometheus
import RegistrationIntake
import RegistrySchema
import ServiceRuntime
import Testing
import TestSupport

/// A service with one personal-data route: a citizen's own record, or an agency with a scope.
enum GuardedProbeService: RegistryService {
    static let descriptor = ServiceDescriptor(name: "guarded-probe", summary: "test", defaultPort: 0)
    static func parts(in environment: ServiceEnvironment) throws -> ServiceParts {
        ServiceParts(routes: { routes in
            routes.add(.get, "/v1/persons/:iin/registration", policy: AccessPolicy(.selfOnly(.citizen, parameter: .iin), .scope(.agency, .addressRead))) {
                _, _, caller in "ok for \(caller.principal.role.rawValue) purpose=\(caller.purpose ?? "-")"
            }
        })
    }
}

@Suite(.timeLimit(.minutes(3))) struct AuthorizationMatrixTests {
    static let secret = "matrix-test-secret-0123456789-0123456789"
    static let citizen = "860101300125"
    static let issuer = "https://idp.registry.example"
    static let audience = "address-registry"

    static func application(verifier: TokenVerifier) async throws -> ServiceApplication {
        try await TestApplication.make(GuardedProbeService.self, verifier: verifier)
    }

    static func token(
        role: Role, sub: String, scope: String? = nil, expiresIn: TimeInterval = 600, issuedAgo: TimeInterval = 0, notBeforeIn: TimeInterval? = nil,
        issuer: String? = issuer, audience: [String]? = [audience], sources: [String]? = nil, secret: String = secret
    ) async throws -> String {
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        let now = Date()
        return try await keys.sign(RegistryTokenClaims(
            sub: sub, role: role, scope: scope, org: "Test", expires: now.addingTimeInterval(expiresIn), issued: now.addingTimeInterval(-issuedAgo),
            notBefore: notBeforeIn.map { now.addingTimeInterval($0) }, issuer: issuer, audience: audience, sources: sources))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let headers: [String: String]
        let path: String
        let status: Int
        var testDescription: String { name }
    }

    @Test("a token verified once is checked for expiry again at every use")
    func rememberedTokensStillExpire() async throws {
        // CLOCK_MAX_AHEAD of 2 h: a message an hour ahead of this host still counts as the time.
        let clock = TrustedClock(service: "test", logger: Logger(label: "test"), maxAhead: .seconds(7200))
        let verifier = await TokenVerifier.hs256(secret: Self.secret).checkingTime(against: clock)
        let token = try await Self.token(role: .citizen, sub: Self.citizen, expiresIn: 600)
        #expect(try await verifier.verify(token).subject == Self.citizen)
        #expect(try await verifier.verify(token).subject == Self.citizen, "the remembered token, still valid")
        // A consumed message shows that an hour has passed: the remembered token has expired.
        clock.observe(timestampMilliseconds: Int64(Date().addingTimeInterval(3_600).timeIntervalSince1970 * 1000))
        await #expect(throws: TokenRejection.self) { try await verifier.verify(token) }
        let forged = try await Self.token(role: .citizen, sub: Self.citizen, secret: "another-secret-0123456789-0123456789")
        await #expect(throws: TokenRejection.self) { try await verifier.verify(forged) }
    }

    @Test func everyRowOfTheMatrixGetsItsStatus() async throws {
        let rules = TokenRules(issuer: Self.issuer, audience: Self.audience)
        let application = try await Self.application(verifier: await TokenVerifier.hs256(secret: Self.secret).requiring(rules))
        let own = "/v1/persons/\(Self.citizen)/registration"
        let other = "/v1/persons/790512400228/registration"
        let expired = try await Self.token(role: .citizen, sub: Self.citizen, expiresIn: -120)
        // 5 s past exp is within the 60 s skew, and stays within it however slowly the run goes.
        let justExpired = try await Self.token(role: .citizen, sub: Self.citizen, expiresIn: -5)
        let forged = try await Self.token(role: .citizen, sub: Self.citizen, secret: "another-secret-0123456789-0123456789")
        let claims = Self.base64URL(Data(#"{"sub":"860101300125","role":"citizen","exp":4102444800}"#.utf8))
        let none = Self.base64URL(Data(#"{"alg":"none","typ":"JWT"}"#.utf8)) + "." + claims + "."
        let agency = try await Self.token(role: .agency, sub: "987654321098", scope: "address:read")
        let agencyWithoutScope = try await Self.token(role: .agency, sub: "987654321098", scope: "residents:read")
        let auditor = try await Self.token(role: .auditor, sub: "auditor-1")
        let citizen = try await Self.token(role: .citizen, sub: Self.citizen)
        let notYet = try await Self.token(role: .citizen, sub: Self.citizen, notBeforeIn: 600)
        let notYetWithinSkew = try await Self.token(role: .citizen, sub: Self.citizen, notBeforeIn: 5)
        let longLived = try await Self.token(role: .citizen, sub: Self.citizen, expiresIn: 25 * 3600)
        let longLivedIssuedLongAgo = try await Self.token(role: .citizen, sub: Self.citizen, expiresIn: 600, issuedAgo: 30 * 86_400)
        let dayLong = try await Self.token(role: .citizen, sub: Self.citizen, expiresIn: 24 * 3600 - 60)
        let otherIssuer = try await Self.token(role: .citizen, sub: Self.citizen, issuer: "https://evil.example")
        let noIssuer = try await Self.token(role: .citizen, sub: Self.citizen, issuer: nil)
        let otherAudience = try await Self.token(role: .citizen, sub: Self.citizen, audience: ["another-system"])
        let noAudience = try await Self.token(role: .citizen, sub: Self.citizen, audience: nil)
        let severalAudiences = try await Self.token(role: .citizen, sub: Self.citizen, audience: ["another-system", Self.audience])
        let cases = [
            Case(name: "no token", headers: [:], path: own, status: 401),
            Case(name: "not a bearer token", headers: ["Authorization": "Basic YTpi"], path: own, status: 401),
            Case(name: "expired", headers: ["Authorization": "Bearer \(expired)"], path: own, status: 401),
            Case(name: "expired within the clock skew", headers: ["Authorization": "Bearer \(justExpired)"], path: own, status: 200),
            Case(name: "wrong signature", headers: ["Authorization": "Bearer \(forged)"], path: own, status: 401),
            Case(name: "alg none", headers: ["Authorization": "Bearer \(none)"], path: own, status: 401),
            Case(name: "citizen reads own", headers: ["Authorization": "Bearer \(citizen)"], path: own, status: 200),
            Case(name: "citizen reads another", headers: ["Authorization": "Bearer \(citizen)"], path: other, status: 403),
            Case(name: "wrong role", headers: ["Authorization": "Bearer \(auditor)"], path: own, status: 403),
            Case(name: "agency missing scope", headers: ["Authorization": "Bearer \(agencyWithoutScope)", "X-Purpose": "school enrolment"], path: own, status: 403),
            Case(name: "agency without X-Purpose", headers: ["Authorization": "Bearer \(agency)"], path: other, status: 400),
            Case(name: "agency with too short X-Purpose", headers: ["Authorization": "Bearer \(agency)", "X-Purpose": "ab"], path: other, status: 400),
            Case(name: "agency with scope and purpose", headers: ["Authorization": "Bearer \(agency)", "X-Purpose": "school enrolment"], path: other, status: 200),
            Case(name: "unknown route", headers: ["Authorization": "Bearer \(citizen)"], path: "/v1/nothing", status: 404),
            Case(name: "not valid yet (nbf in 10 min)", headers: ["Authorization": "Bearer \(notYet)"], path: own, status: 401),
            Case(name: "nbf within the clock skew", headers: ["Authorization": "Bearer \(notYetWithinSkew)"], path: own, status: 200),
            Case(name: "lifetime of 25 h", headers: ["Authorization": "Bearer \(longLived)"], path: own, status: 401),
            Case(name: "issued 30 days ago, valid 10 more minutes", headers: ["Authorization": "Bearer \(longLivedIssuedLongAgo)"], path: own, status: 401),
            Case(name: "lifetime under 24 h", headers: ["Authorization": "Bearer \(dayLong)"], path: own, status: 200),
            Case(name: "wrong iss", headers: ["Authorization": "Bearer \(otherIssuer)"], path: own, status: 401),
            Case(name: "no iss", headers: ["Authorization": "Bearer \(noIssuer)"], path: own, status: 401),
            Case(name: "wrong aud", headers: ["Authorization": "Bearer \(otherAudience)"], path: own, status: 401),
            Case(name: "no aud", headers: ["Authorization": "Bearer \(noAudience)"], path: own, status: 401),
            Case(name: "aud list holding ours", headers: ["Authorization": "Bearer \(severalAudiences)"], path: own, status: 200),
        ]
        try await FaultRow.measure("authorisation matrix through real HTTP", injected: "\(cases.count) callers (bad, expired, forged, alg none, wrong role or scope)", countsMessages: false) { row in
            let answered = try await application.http.test(.live) { client -> Int in
                var answered = 0
                for c in cases {
                    var fields = HTTPFields()
                    for (name, value) in c.headers { fields[HTTPField.Name(name)!] = value }
                    try await client.execute(uri: c.path, method: .get, headers: fields) { response in
                        var held = row.check(Int(response.status.code) == c.status, "\(c.name): \(response.status.code), not \(c.status)")
                        if c.status >= 400 {
                            let body = String(buffer: response.body)
                            held = row.check(response.headers[.contentType] == "application/problem+json", "\(c.name): not problem+json") && held
                            held = row.check(body.contains("\"status\":\(c.status)"), "\(c.name): the problem does not say \(c.status)") && held
                            if c.status == 403 {
                                // 403 never reveals whether the subject exists.
                                held = row.check(!body.contains("790512400228") && !body.contains(Self.citizen), "\(c.name): the 403 names the subject") && held
                            }
                        }
                        if held { answered += 1 }
                    }
                }
                return answered
            }
            row.messages = "\(cases.count) requests"
            print("authorisation matrix: \(cases.count) cases through real HTTP, \(answered) with the status docs/architecture.md §5.1 gives them")
            return "\(answered) of \(cases.count) answered as designed"
        }
    }

    /// The rows that need the real routes: a subscription is a read (it also needs
    /// `address:read`), and an upstream system submits and reads only under its own sources.
    @Test func subscriptionsNeedAddressReadAndUpstreamsStayWithinTheirSources() async throws {
        let prefix = TestBroker.uniqueName("matrix") + "."
        let notification = try await TestApplication.make(NotificationService.self, environment: ["REGISTRY_TOPIC_PREFIX": prefix])
        let intake = try await TestApplication.make(RegistrationIntakeService.self, environment: ["REGISTRY_TOPIC_PREFIX": prefix])
        func hs256(_ role: Role, _ sub: String, scope: String? = nil, sources: [String]? = nil) async throws -> String {
            try await Self.token(role: role, sub: sub, scope: scope, issuer: nil, audience: nil, sources: sources, secret: TestSecrets.jwt)
        }
        let writeOnly = try await hs256(.agency, "100140011059", scope: "subscriptions:write")
        let readAndWrite = try await hs256(.agency, "100140011059", scope: "subscriptions:write address:read")
        let portal = try await hs256(.upstream, "egov-portal", sources: ["/egov/portal"])
        let egovPrefix = try await hs256(.upstream, "egov-gateway", sources: ["/egov/"])
        let bank = try await hs256(.upstream, "bank-system", sources: ["/bank/"])
        let noSources = try await hs256(.upstream, "legacy-system")
        let subscription = #"{"delivery":{"type":"webhook","url":"https://agency.example/h"}}"#
        let person = PersonDetails(iin: IIN(rawValue: "860101300126")!, surname: "Ахметов", givenName: "Арман", patronymic: nil, birthDate: CalendarDate("1986-01-01")!)
        let submission = try RegistryEventEncoder().encodeBytes(CloudEvent(
            id: "matrix-1", source: "/egov/portal", time: Timestamp(.now),
            data: RegistrationSubmitted(kind: .permanent, person: person, rca: RCA(rawValue: "3000000000001")!, validFrom: CalendarDate("2026-11-24")!)))

        struct Row: Sendable {
            let name: String, service: String, method: HTTPRequest.Method, path: String, token: String, body: [UInt8]?, status: Int
        }
        let purpose = "pension recalculation"
        let rows = [
            Row(name: "subscribe without address:read", service: "notification", method: .post, path: "/v1/subscriptions", token: writeOnly, body: Array(subscription.utf8), status: 403),
            Row(name: "list subscriptions without address:read", service: "notification", method: .get, path: "/v1/subscriptions", token: writeOnly, body: nil, status: 403),
            Row(name: "subscribe with address:read", service: "notification", method: .post, path: "/v1/subscriptions", token: readAndWrite, body: Array(subscription.utf8), status: 201),
            Row(name: "submit under another system's source", service: "intake", method: .post, path: "/v1/submissions", token: bank, body: submission, status: 403),
            Row(name: "submit without a sources claim", service: "intake", method: .post, path: "/v1/submissions", token: noSources, body: submission, status: 403),
            Row(name: "submit under its own source", service: "intake", method: .post, path: "/v1/submissions", token: portal, body: submission, status: 202),
            Row(name: "status of another system's source", service: "intake", method: .get, path: "/v1/submissions/matrix-1?source=/egov/portal", token: bank, body: nil, status: 403),
            Row(name: "status of a source never posted under", service: "intake", method: .get, path: "/v1/submissions/unknown?source=/bank/x", token: portal, body: nil, status: 403),
            Row(name: "status under a source prefix", service: "intake", method: .get, path: "/v1/submissions/matrix-1?source=/egov/portal", token: egovPrefix, body: nil, status: 200),
            Row(name: "status of its own submission", service: "intake", method: .get, path: "/v1/submissions/matrix-1?source=/egov/portal", token: portal, body: nil, status: 200),
        ]
        for row in rows {
            let application = row.service == "notification" ? notification : intake
            try await application.http.test(.live) { client in
                var fields: HTTPFields = [.authorization: "Bearer \(row.token)", .contentType: "application/json"]
                fields[HTTPField.Name("X-Purpose")!] = purpose
                try await client.execute(uri: row.path, method: row.method, headers: fields, body: row.body.map { ByteBuffer(bytes: $0) }) { response in
                    #expect(Int(response.status.code) == row.status, "\(row.name): \(String(buffer: response.body))")
                    if row.status == 403 { #expect(!String(buffer: response.body).contains("860101300126"), "\(row.name)") }
                }
            }
        }
        print("authorisation matrix, real routes: \(rows.count) cases (address:read for subscriptions, upstream sources)")
    }

    @Test func anHMACTokenMadeWithThePublicKeyIsRefusedWhenOnlyES256IsTrusted() async throws {
        // Algorithm confusion: the server trusts an ES256 public key; an attacker signs HS256 with it.
        let privateKey = P256.Signing.PrivateKey()
        let publicKey = privateKey.publicKey
        let x = Self.base64URL(publicKey.rawRepresentation.prefix(32))
        let y = Self.base64URL(publicKey.rawRepresentation.suffix(32))
        let jwks = #"{"keys":[{"kty":"EC","crv":"P-256","alg":"ES256","kid":"k1","use":"sig","x":"\#(x)","y":"\#(y)"}]}"#
        let application = try await Self.application(verifier: try await TokenVerifier.jwks(json: jwks))
        let confused = try await Self.token(role: .citizen, sub: Self.citizen, secret: publicKey.pemRepresentation)
        let signer = await JWTKeyCollection().add(ecdsa: try ES256PrivateKey(pem: privateKey.pemRepresentation), kid: "k1")
        let genuine = try await signer.sign(RegistryTokenClaims(sub: Self.citizen, role: .citizen, scope: nil, org: nil, expires: Date().addingTimeInterval(600)), kid: "k1")
        try await application.http.test(.live) { client in
            try await client.execute(uri: "/v1/persons/\(Self.citizen)/registration", method: .get, headers: [.authorization: "Bearer \(confused)"]) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/persons/\(Self.citizen)/registration", method: .get, headers: [.authorization: "Bearer \(genuine)"]) {
                #expect($0.status == .ok)
            }
        }
    }
}
