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

    /// `{"valid","status":"current"|"superseded","claims"}`; status and claims are `null` when
    /// invalid. The claims are returned exactly as signed (NumericDate seconds since 1970).
    static func answer(valid: Bool, status: String?, token: String?) throws -> Response {
        var claims: Any = NSNull()
        if let token, let payload = token.split(separator: ".").dropFirst().first {
            var base64 = payload.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
            claims = Data(base64Encoded: base64).flatMap { try? JSONSerialization.jsonObject(with: $0) } ?? NSNull()
        }
        let body = try JSONSerialization.data(
            withJSONObject: ["valid": valid, "status": status as Any? ?? NSNull(), "claims": claims], options: [.sortedKeys, .withoutEscapingSlashes])
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    func add(to routes: RouteTable) {
        let jwks = try? JSONSerialization.data(withJSONObject: certificates.jwks, options: [.sortedKeys])
        routes.add(.get, "/.well-known/jwks.json") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/jwk-set+json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: jwks ?? Data())))
        }
        routes.add(.post, "/v1/certificates/verify") { request, context -> Response in
            let body = try await request.decode(as: VerifyRequest.self, context: context)
            guard let claims = await certificates.verify(body.certificate) else { return try Self.answer(valid: false, status: nil, token: nil) }
            let certified = claims.registration
            let today = clock.today
            let now = try await store.readOneStatement { try IndexStore($0).registration(certified.iin, on: today) }
            let current = now.map { $0.sameRegistration(as: certified) } ?? false
            return try Self.answer(valid: true, status: current ? "current" : "superseded", token: body.certificate)
        }
    }
}
