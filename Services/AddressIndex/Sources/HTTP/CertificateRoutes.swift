// GET /.well-known/jwks.json and POST /v1/certificates/verify: open to anyone (banks verify).

import Foundation
import Hummingbird
import RegistrySchema
import ServiceRuntime

/// Certificate verification without an account (DESIGN §5.2).
struct CertificateRoutes: Sendable {
    let store: ServiceStore
    let clock: IndexClock
    let certificates: CertificateAuthority

    struct VerifyRequest: Decodable { let certificate: String }

    /// `{"valid","status":"current"|"superseded","claims"}`; status and claims are `null` when invalid.
    struct VerifyView: ResponseEncodable {
        let valid: Bool
        let status: String?
        let claims: CertificateClaims?

        private enum Keys: String, CodingKey { case valid, status, claims }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(valid, forKey: .valid)
            try container.encode(status, forKey: .status)
            try container.encode(claims, forKey: .claims)
        }
    }

    func add(to routes: RouteTable) {
        let jwks = try? JSONSerialization.data(withJSONObject: certificates.jwks, options: [.sortedKeys])
        routes.add(.get, "/.well-known/jwks.json") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/jwk-set+json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: jwks ?? Data())))
        }
        routes.add(.post, "/v1/certificates/verify") { request, context -> VerifyView in
            let body = try await request.decode(as: VerifyRequest.self, context: context)
            guard let claims = await certificates.verify(body.certificate) else { return VerifyView(valid: false, status: nil, claims: nil) }
            let certified = claims.registration
            let today = clock.today
            let now = try await store.read { try IndexStore($0).registration(certified.iin, on: today) }
            let current = now.map { $0.sameRegistration(as: certified) } ?? false
            return VerifyView(valid: true, status: current ? "current" : "superseded", claims: claims)
        }
    }
}
