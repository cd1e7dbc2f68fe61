// address-index through real HTTP: who may read what, 404 only to those allowed, certificates.

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import Logging
import RegistrySchema
import ServiceRuntime
import Testing
import TestSupport
@testable import AddressIndex

@Suite(.timeLimit(.minutes(3))) struct AddressIndexHTTPTests {
    static let person = IIN(rawValue: "860101300126")!
    static let owner = IIN(rawValue: "790512400220")!
    static let stranger = IIN.issue(birthDate: CalendarDate("1995-03-03")!, sex: .female, serial: 77)!
    static func address(_ rca: String) -> AddressSnapshot {
        AddressSnapshot(rca: RCA(rawValue: rca)!, kato: KATO(rawValue: "751110000")!, region: "Алматы", locality: "Алматы", street: "Абай даңғылы", building: "10", flat: "4")
    }
    static let home = address("500001")
    static let flat = address("500002")

    func token(_ role: Role, _ sub: String, scope: String? = nil) async throws -> String {
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: TestSecrets.jwt), digestAlgorithm: .sha256)
        return try await keys.sign(RegistryTokenClaims(sub: sub, role: role, scope: scope, org: "Test", expires: Date().addingTimeInterval(600)))
    }

    /// Applies an accepted registration as the consumer would.
    func project(_ application: ServiceApplication, _ kind: RegistrationKind, sequence: Int, address: AddressSnapshot?, previous: AddressSnapshot?, from: String) async throws {
        let data = RegistrationAccepted(
            submission: SubmissionReference(source: "/t", id: "\(sequence)"), sequence: sequence, kind: kind,
            person: PersonDetails(iin: Self.person, surname: "Ахметов", givenName: "Арман", patronymic: nil, birthDate: CalendarDate("1986-01-01")!),
            address: address, previousAddress: previous, validFrom: CalendarDate(from)!, validUntil: nil, registration: kind == .deregistration ? .permanent : nil, reason: nil)
        let value = try RegistryEventEncoder().encodeBytes(CloudEvent(id: "a\(sequence)", source: "/registry/intake", time: Timestamp(.now), data: data))
        var logger = Logger(label: "t")
        logger.logLevel = .critical
        let projector = RegistrationProjector(topics: TopicNames(), source: "/registry/address-index", occupancyThreshold: 10, clock: .system, logger: logger)
        _ = try await application.environment.store.write { try projector.handle(value, store: IndexStore($0)) }
    }

    @Test func theAuthorisationTableOfEachRouteHolds() async throws {
        let application = try await TestApplication.make(AddressIndexService.self)
        try await application.environment.store.write { db in
            try AddressCatalog(db).save(CatalogEntry(address: Self.home, residential: true, owners: [Self.owner]))
        }
        let today = CalendarDate(utc: Date()).description
        try await project(application, .permanent, sequence: 1, address: Self.home, previous: nil, from: today)

        let citizen = try await token(.citizen, Self.person.rawValue)
        let strangerToken = try await token(.citizen, Self.stranger.rawValue)
        let ownerToken = try await token(.citizen, Self.owner.rawValue)
        let reader = try await token(.agency, "123456789012", scope: "address:read")
        let bulk = try await token(.agency, "123456789012", scope: "address:bulk")
        let residents = try await token(.agency, "123456789012", scope: "residents:read")
        let purpose = "school enrolment"
        let me = "/v1/persons/\(Self.person.rawValue)"
        let nobody = "/v1/persons/\(Self.stranger.rawValue)"
        let batch = #"{"iins":["\#(Self.person.rawValue)","\#(Self.stranger.rawValue)","123"]}"#
        let cases: [(String, HTTPRequest.Method, String, String?, String?, String?, Int)] = [
            ("no token", .get, me + "/registration", nil, nil, nil, 401),
            ("citizen, own registration", .get, me + "/registration", citizen, nil, nil, 200),
            ("citizen, own registration on a past date", .get, me + "/registration?at=2001-01-01", citizen, nil, nil, 200),
            ("citizen, bad date", .get, me + "/registration?at=yesterday", citizen, nil, nil, 400),
            ("citizen, own history", .get, me + "/history", citizen, nil, nil, 200),
            ("citizen, own certificate", .get, me + "/certificate", citizen, nil, nil, 200),
            ("citizen, someone else's registration", .get, me + "/registration", strangerToken, nil, nil, 403),
            ("citizen never registered, own: 404", .get, nobody + "/registration", strangerToken, nil, nil, 404),
            ("citizen, unknown person not theirs: 403, not 404", .get, nobody + "/registration", citizen, nil, nil, 403),
            ("agency without purpose", .get, me + "/registration", reader, nil, nil, 400),
            ("agency with address:read", .get, me + "/registration", reader, purpose, nil, 200),
            ("agency, unknown person: 404", .get, nobody + "/history", reader, purpose, nil, 404),
            ("agency without address:read", .get, me + "/registration", residents, purpose, nil, 403),
            ("batch with address:bulk", .post, "/v1/registrations:batch", bulk, purpose, batch, 200),
            ("batch without address:bulk", .post, "/v1/registrations:batch", reader, purpose, batch, 403),
            ("batch of nothing", .post, "/v1/registrations:batch", bulk, purpose, #"{"iins":[]}"#, 400),
            ("owner, residents of their dwelling", .get, "/v1/addresses/500001/residents", ownerToken, nil, nil, 200),
            ("resident who is not an owner", .get, "/v1/addresses/500001/residents", citizen, nil, nil, 403),
            ("agency with residents:read", .get, "/v1/addresses/500001/residents", residents, purpose, nil, 200),
            ("agency, unknown dwelling", .get, "/v1/addresses/999/residents", residents, purpose, nil, 404),
            ("agency without residents:read", .get, "/v1/addresses/500001/residents", reader, purpose, nil, 403),
            ("JWKS needs no token", .get, "/.well-known/jwks.json", nil, nil, nil, 200),
        ]
        try await application.http.test(.live) { client in
            for (name, method, path, bearer, purpose, body, status) in cases {
                var headers: HTTPFields = [.contentType: "application/json"]
                if let bearer { headers[.authorization] = "Bearer \(bearer)" }
                if let purpose { headers[HTTPField.Name("X-Purpose")!] = purpose }
                try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
                    #expect(Int(response.status.code) == status, "\(name): \(String(buffer: response.body))")
                    if status == 403 { #expect(!String(buffer: response.body).contains(Self.stranger.rawValue), "\(name)") }
                    if name == "batch with address:bulk" {
                        let text = String(buffer: response.body)
                        #expect(text.contains(#""error":"no registration known""#) && text.contains(#""error":"invalid IIN""#) && text.contains(#""permanent":{"#), "\(text)")
                    }
                    if name == "agency with residents:read" {
                        #expect(String(buffer: response.body).contains(#""surname":"Ахметов""#))
                    }
                }
            }
        }
        print("address-index authorisation: \(cases.count) cases through real HTTP")
    }

    @Test func certificatesVerifyUntilThePersonMovesAndTheJWKSVerifiesThemIndependently() async throws {
        let application = try await TestApplication.make(AddressIndexService.self)
        let today = CalendarDate(utc: Date())
        try await project(application, .permanent, sequence: 1, address: Self.home, previous: nil, from: today.adding(days: -10).description)
        let citizen = try await token(.citizen, Self.person.rawValue)
        try await application.http.test(.live) { client in
            let issued = try await client.execute(uri: "/v1/persons/\(Self.person.rawValue)/certificate", method: .get, headers: [.authorization: "Bearer \(citizen)"]) { response in
                #expect(response.status == .ok)
                return try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] ?? [:]
            }
            let certificate = try #require(issued["certificate"] as? String)
            func verify(_ token: String) async throws -> [String: Any] {
                try await client.execute(uri: "/v1/certificates/verify", method: .post, headers: [.contentType: "application/json"],
                                         body: ByteBuffer(data: try JSONSerialization.data(withJSONObject: ["certificate": token]))) { response in
                    #expect(response.status == .ok)
                    return try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] ?? [:]
                }
            }
            let fresh = try await verify(certificate)
            #expect(fresh["valid"] as? Bool == true && fresh["status"] as? String == "current")
            let claims = try #require(fresh["claims"] as? [String: Any])
            #expect(claims["sub"] as? String == Self.person.rawValue && claims["iss"] as? String == "address-registry")
            #expect(((claims["exp"] as? Double) ?? 0) - ((claims["iat"] as? Double) ?? 0) == 30 * 86_400)
            #expect(abs(((claims["iat"] as? Double) ?? 0) - Date().timeIntervalSince1970) < 60, "NumericDate: seconds since 1970")

            let parts = certificate.split(separator: ".").map(String.init)
            var payload = Array(parts[1])
            payload[payload.count / 2] = payload[payload.count / 2] == "A" ? "B" : "A"
            #expect(try await verify([parts[0], String(payload), parts[2]].joined(separator: "."))["valid"] as? Bool == false, "tampered payload")
            var signature = Array(parts[2])
            signature[3] = signature[3] == "A" ? "B" : "A"
            #expect(try await verify([parts[0], parts[1], String(signature)].joined(separator: "."))["valid"] as? Bool == false, "tampered signature")

            // Independently: the published JWK verifies the JWS with Python's cryptography.
            let jwks = try await client.execute(uri: "/.well-known/jwks.json", method: .get) { String(buffer: $0.body) }
            let python = ProcessInfo.processInfo.environment["REGISTRY_PYTHON"] ?? "python3"
            let script = """
                import base64, json, sys
                from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
                b = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
                jwk = json.loads(sys.argv[1])["keys"][0]
                h, p, s = sys.argv[2].split(".")
                assert json.loads(b(h))["alg"] == "EdDSA" and json.loads(b(h))["kid"] == jwk["kid"]
                Ed25519PublicKey.from_public_bytes(b(jwk["x"])).verify(b(s), (h + "." + p).encode())
                print("verified by cryptography: sub", json.loads(b(p))["sub"][:6] + "****")
                """
            let check = try ChildProcess(executableURL: URL(fileURLWithPath: python), arguments: ["-c", script, jwks, certificate])
            #expect(await check.waitForExit(timeout: .seconds(30)) == 0, "\(check.output)")
            print("certificate: \(check.output.trimmingCharacters(in: .whitespacesAndNewlines))")

            // The person moves: the old certificate is still genuine but superseded.
            try await project(application, .permanent, sequence: 2, address: Self.flat, previous: Self.home, from: today.description)
            let after = try await verify(certificate)
            #expect(after["valid"] as? Bool == true && after["status"] as? String == "superseded")
        }
    }
}
