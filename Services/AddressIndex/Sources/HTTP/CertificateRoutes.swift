// GET /.well-known/jwks.json and POST /v1/certificates/verify: open to anyone (banks verify).

import Foundation
import Hummingbird
import RegistrySchema
import ServiceRuntime

/// Certificate verification without an account (docs/architecture.md §5.2); each verification of a genuine
/// certificate is recorded as an access to the person's data.
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
        return try JSONAnswer.response(["valid": valid, "status": status as Any? ?? NSNull(), "claims": claims], headers: [.cacheControl: Disclosure.noStore])
    }

    /// What a verification discloses: whether the certified registration is still current.
    static let verification = Disclosure(action: "certificate.verify")

    /// Who asked: the token's caller when a valid token came with the request (a bank with an
    /// account), else the client's address (verification needs no account).
    static func asker(_ context: RegistryRequestContext) -> AccessActor {
        if let principal = context.principal {
            return AccessActor(sub: principal.subject, role: principal.role.rawValue, org: principal.organisation)
        }
        return AccessActor(sub: context.clientAddress ?? "unknown", role: "anonymous", org: nil)
    }

    /// The `X-Purpose` the asker gave, if any (at most 200 characters are kept).
    static func purpose(_ request: Request) -> String? {
        guard let text = request.headers[AccessPolicy.purposeHeader]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        return String(text.prefix(200))
    }

    func add(to routes: RouteTable) {
        let jwks = try? JSONSerialization.data(withJSONObject: certificates.jwks, options: [.sortedKeys])
        routes.add(.get, "/.well-known/jwks.json") { _, _ -> Response in
            // Public keys, the same for every caller: banks' verifiers may keep them an hour (a
            // rotated key reaches them within that; docs/operations.md, Keys).
            JSONAnswer.response(bytes: jwks ?? Data(), headers: [.cacheControl: "public, max-age=3600"], contentType: "application/jwk-set+json")
        }
        let (accessLog, service) = (routes.accessLog, routes.service)
        routes.add(.post, "/v1/certificates/verify") { request, context -> Response in
            let body = try await request.decode(as: VerifyRequest.self, context: context)
            guard let claims = await certificates.verify(body.certificate) else { return try Self.answer(valid: false, status: nil, token: nil) }
            let certified = claims.registration
            let today = clock.today
            let now = try await store.readOneStatement { try IndexStore($0).registration(certified.iin, on: today) }
            let current = now.map { $0.sameRegistration(as: certified) } ?? false
            // Whether the person still lives there is personal data: recorded before it is told,
            // with whoever asked (a token's caller, else the client address) and their purpose.
            try await Self.verification.record(
                actor: Self.asker(context), purpose: Self.purpose(request), subjects: [certified.iin.rawValue], request: request, status: .ok,
                log: accessLog, service: service)
            return try Self.answer(valid: true, status: current ? "current" : "superseded", token: body.certificate)
        }
    }
}
