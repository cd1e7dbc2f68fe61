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
    /// Whether a token is needed (the route has an ``AccessPolicy``).
    public let guarded: Bool
    /// The access-log action, for routes that disclose personal data.
    public let disclosure: String?

    /// A method and path template, the unit an OpenAPI document describes.
    public struct Operation: Sendable, Hashable, CustomStringConvertible {
        /// Upper-case HTTP method.
        public let method: String
        /// The path template with `{name}` parameters.
        public let path: String
        /// Creates an operation.
        public init(method: String, path: String) {
            self.method = method
            self.path = path
        }
        public var description: String { "\(method) \(path)" }
    }

    /// This route's operation.
    public var operation: Operation { Operation(method: method, path: path) }
}

/// Adds routes to a router and keeps the list, so `/openapi.json` can be checked against the
/// routes that really exist.
// Routes are only added while the application is assembled, before it serves.
public final class RouteTable: @unchecked Sendable {
    /// The router the routes go to.
    public let router: Router<RegistryRequestContext>
    /// Where disclosing routes record their accesses.
    public let accessLog: AccessLog
    /// The service name, as `access.logged` reports it.
    public let service: String
    private let declared = Mutex<[RouteDescription]>([])

    /// Creates a table over a router.
    public init(router: Router<RegistryRequestContext>, accessLog: AccessLog, service: String) {
        self.router = router
        self.accessLog = accessLog
        self.service = service
    }

    /// Every route declared so far.
    public var routes: [RouteDescription] { declared.withLock { $0 } }

    /// Declares a route open to anyone (health, JWKS, certificate verification).
    public func add<Output: ResponseGenerator>(
        _ method: HTTPRequest.Method, _ path: String,
        _ handler: @escaping @Sendable (Request, RegistryRequestContext) async throws -> Output
    ) {
        record(method, path, guarded: false, disclosure: nil)
        router.on(RouterPath(path), method: method, use: handler)
    }

    /// Declares a route that runs only for callers `policy` admits.
    public func add<Output: ResponseGenerator>(
        _ method: HTTPRequest.Method, _ path: String, policy: AccessPolicy,
        _ handler: @escaping @Sendable (Request, RegistryRequestContext, Caller) async throws -> Output
    ) {
        record(method, path, guarded: true, disclosure: nil)
        router.on(RouterPath(path), method: method, use: policy.guarding(handler))
    }

    /// Declares a route that answers admitted callers with personal data: each answer is in the
    /// access log (durably) before it leaves (docs/architecture.md §5.1, §6).
    public func add<Output: ResponseGenerator>(
        _ method: HTTPRequest.Method, _ path: String, policy: AccessPolicy, disclosing disclosure: Disclosure,
        _ handler: @escaping @Sendable (Request, RegistryRequestContext, Caller) async throws -> Output
    ) {
        record(method, path, guarded: true, disclosure: disclosure.action)
        router.on(RouterPath(path), method: method, use: policy.guarding(disclosure.auditing(handler, log: accessLog, service: service)))
    }

    private func record(_ method: HTTPRequest.Method, _ path: String, guarded: Bool, disclosure: String?) {
        // Hummingbird writes parameters as ":name"; OpenAPI as "{name}".
        let template = path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
        }.joined(separator: "/")
        declared.withLock { $0.append(RouteDescription(method: method.rawValue, path: template, guarded: guarded, disclosure: disclosure)) }
    }
}
