// Answers 429 to a caller over its request rate.

import Hummingbird
import Kafka
import Metrics

/// Applies an ``ActorRateLimiter`` to every request except the health checks (orchestrators
/// poll those): an actor over its rate gets `429 Too Many Requests` with `Retry-After` (whole
/// seconds) and a problem+json body. Runs after authentication, so a valid token's role and
/// `sub` name the actor; requests without one are counted per client address.
public struct RateLimitMiddleware: RouterMiddleware {
    public typealias Context = RegistryRequestContext
    let limiter: ActorRateLimiter
    private let refused = Counter(label: "http_rate_limited_total")

    /// Creates the middleware.
    public init(limiter: ActorRateLimiter) {
        self.limiter = limiter
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !request.uri.path.hasPrefix("/health/") else { return try await next(request, context) }
        let actor = context.principal.map { "\($0.role.rawValue):\($0.subject)" } ?? "address:\(context.clientAddress ?? "unknown")"
        if let wait = limiter.take(actor) {
            refused.increment()
            let seconds = max(1, Int(wait.inSeconds.rounded(.up)))
            throw Problem(
                .tooManyRequests,
                detail: "Too many requests from this caller (limit \(limiter.rate.formatted()) per second, bursts of \(Int(limiter.burst))); retry after \(seconds) s.",
                headers: [.retryAfter: "\(seconds)"])
        }
        return try await next(request, context)
    }
}
