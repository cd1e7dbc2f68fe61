// Reads the bearer token of every request.

import Hummingbird

/// Verifies `Authorization: Bearer <JWT>` when present and puts the caller into the context.
/// It rejects nothing itself: routes declare with an ``AccessPolicy`` who may call them, so
/// public routes (health, JWKS, certificate verification) work without a token.
public struct AuthenticationMiddleware: RouterMiddleware {
    public typealias Context = RegistryRequestContext
    let verifier: TokenVerifier

    /// Creates the middleware.
    public init(verifier: TokenVerifier) {
        self.verifier = verifier
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                do {
                    context.principal = try await verifier.verify(String(parts[1]))
                } catch {
                    context.authenticationFailure = "\(error)"
                }
            } else {
                context.authenticationFailure = "the Authorization header is not a Bearer token"
            }
        }
        return try await next(request, context)
    }
}
