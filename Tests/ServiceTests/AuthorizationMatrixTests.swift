// The authorisation matrix of DESIGN §5.1 through real HTTP.

import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import Kafka
import Logging
import Prometheus
import ServiceRuntime
import Testing
import TestSupport

/// A service with one personal-data route: a citizen's own record, or an agency with a scope.
enum GuardedProbeService: RegistryService {
    static let descriptor = ServiceDescriptor(name: "guarded-probe", summary: "test", defaultPort: 0)
    static func parts(in environment: ServiceEnvironment) throws -> ServiceParts {
        ServiceParts(routes: { routes in
            routes.add(.get, "/v1/persons/:iin/registration", policy: AccessPolicy(.selfOnly(.citizen, parameter: "iin"), .scope(.agency, "address:read"))) {
                _, _, caller in "ok for \(caller.principal.role.rawValue) purpose=\(caller.purpose ?? "-")"
            }
        })
    }
}

@Suite(.timeLimit(.minutes(3))) struct AuthorizationMatrixTests {
    static let secret = "matrix-test-secret-0123456789-0123456789"
    static let citizen = "860101300125"

    static func application(verifier: TokenVerifier) async throws -> ServiceApplication {
        try await TestApplication.make(GuardedProbeService.self, verifier: verifier)
    }

    static func token(role: Role, sub: String, scope: String? = nil, expiresIn: TimeInterval = 600, secret: String = secret) async throws -> String {
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return try await keys.sign(RegistryTokenClaims(sub: sub, role: role, scope: scope, org: "Test", expires: Date().addingTimeInterval(expiresIn)))
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
        let clock = TrustedClock(service: "test", logger: Logger(label: "test"))
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
        let application = try await Self.application(verifier: await TokenVerifier.hs256(secret: Self.secret))
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
        ]
        try await application.http.test(.live) { client in
            for c in cases {
                var fields = HTTPFields()
                for (name, value) in c.headers { fields[HTTPField.Name(name)!] = value }
                try await client.execute(uri: c.path, method: .get, headers: fields) { response in
                    #expect(Int(response.status.code) == c.status, "\(c.name)")
                    if c.status >= 400 {
                        #expect(response.headers[.contentType] == "application/problem+json", "\(c.name)")
                        let body = String(buffer: response.body)
                        #expect(body.contains("\"status\":\(c.status)"), "\(c.name)")
                        if c.status == 403 {
                            // 403 never reveals whether the subject exists.
                            #expect(!body.contains("790512400228") && !body.contains(Self.citizen), "\(c.name)")
                        }
                    }
                }
            }
        }
        print("authorisation matrix: \(cases.count) cases through real HTTP, each with its DESIGN status")
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
