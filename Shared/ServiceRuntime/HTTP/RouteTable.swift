// Registers routes and remembers them, with who may call each.

import HTTPTypes
import Hummingbird
import Synchronization

/// A route as declared: method, path template and its access rule in words.
public struct RouteDescription: Sendable, Hashable {
    /// The HTTP method.
    public let method: String
    /// The path template, `{name}` for parameters (OpenAPI style).
    public let path: String
}

/// Adds routes to a router and keeps the list, so `/openapi.json` can be checked against the
/// routes that really exist.
// Routes are only added while the application is assembled, before it serves.
public final class RouteTable: @unchecked Sendable {
    /// The router the routes go to.
    public let router: Router<RegistryRequestContext>
    private let declared = Mutex<[RouteDescription]>([])

    /// Creates a table over a router.
    public init(router: Router<RegistryRequestContext>) {
        self.router = router
    }

    /// Every route declared so far.
    public var routes: [RouteDescription] { declared.withLock { $0 } }

    /// Declares a route open to anyone (health, JWKS, certificate verification).
    public func add<Output: ResponseGenerator>(
        _ method: HTTPRequest.Method, _ path: String,
        _ handler: @escaping @Sendable (Request, RegistryRequestContext) async throws -> Output
    ) {
        record(method, path)
        router.on(RouterPath(path), method: method, use: handler)
    }

    /// Declares a route that runs only for callers `policy` admits.
    public func add<Output: ResponseGenerator>(
        _ method: HTTPRequest.Method, _ path: String, policy: AccessPolicy,
        _ handler: @escaping @Sendable (Request, RegistryRequestContext, Caller) async throws -> Output
    ) {
        record(method, path)
        router.on(RouterPath(path), method: method, use: policy.guarding(handler))
    }

    private func record(_ method: HTTPRequest.Method, _ path: String) {
        // Hummingbird writes parameters as ":name"; OpenAPI as "{name}".
        let template = path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
        }.joined(separator: "/")
        declared.withLock { $0.append(RouteDescription(method: method.rawValue, path: template)) }
    }
}
