// Who may call a route: declared next to the route.

import HTTPTypes
import Hummingbird
import RegistrySchema

/// The caller of a guarded route, with the purpose they declared.
public struct Caller: Sendable {
    /// The verified caller.
    public let principal: Principal
    /// `X-Purpose` (the legal ground of an agency request), if given.
    public let purpose: String?
    /// Subjects the handler reported for the access log.
    let disclosed = DisclosedSubjects()

    /// Reports subjects whose data the answer discloses, besides the one named in the path
    /// (e.g. each IIN of a batch lookup); they go into the request's `access.logged` event.
    public func disclose(_ subjects: some Sequence<String>) {
        disclosed.add(subjects)
    }
}

/// The authorisation rule of one route (docs/architecture.md §5.1), written where the route is declared so a
/// service's table of who-may-do-what reads in one place.
///
/// A request without a valid token gets 401; a caller no rule admits gets 403 with a body that
/// says nothing about the subject; an agency without a valid `X-Purpose` gets 400.
public struct AccessPolicy: Sendable {
    /// One way to be admitted.
    public enum Rule: Sendable {
        /// Any caller with this role.
        case role(Role)
        /// A caller with this role holding this scope.
        case scope(Role, Scope)
        /// A caller with this role holding every one of these scopes.
        case scopes(Role, Set<Scope>)
        /// A citizen whose `sub` equals the named path parameter (their own data).
        case selfOnly(Role, parameter: PathParameter<IIN>)
        /// A decision that needs data (e.g. "owns this dwelling"); return true to admit.
        case check(Role, @Sendable (Principal, Request, RegistryRequestContext) async throws -> Bool)
    }

    let rules: [Rule]

    /// A policy admitting callers that match any of `rules`.
    public init(_ rules: Rule...) {
        self.rules = rules
    }

    /// The `X-Purpose` header.
    public static let purposeHeader = HTTPField.Name("X-Purpose")!

    /// Decides whether the request may proceed.
    /// - Returns: The caller.
    /// - Throws: ``Problem`` 401, 403 or 400.
    public func authorize(_ request: Request, context: RegistryRequestContext) async throws -> Caller {
        guard let principal = context.principal else {
            throw Problem.unauthorized(context.authenticationFailure.map { "The bearer token was refused: \($0)." } ?? "A bearer token is required.")
        }
        var admitted = false
        for rule in rules where !admitted {
            switch rule {
            case .role(let role):
                admitted = principal.role == role
            case .scope(let role, let scope):
                admitted = principal.role == role && principal.scopes.contains(scope.rawValue)
            case .scopes(let role, let scopes):
                admitted = principal.role == role && scopes.allSatisfy { principal.scopes.contains($0.rawValue) }
            case .selfOnly(let role, let parameter):
                admitted = principal.role == role && context.parameters.get(parameter.name) == principal.subject
            case .check(let role, let decide):
                admitted = principal.role == role ? try await decide(principal, request, context) : false
            }
        }
        guard admitted else { throw Problem.forbidden }
        let purpose = request.headers[Self.purposeHeader]?.trimmingCharacters(in: .whitespaces)
        if principal.role == .agency {
            guard let purpose, (3...200).contains(purpose.count) else {
                throw Problem.badRequest("Agency requests must state their legal ground in the X-Purpose header (3 to 200 characters).")
            }
        }
        return Caller(principal: principal, purpose: purpose)
    }

    /// Wraps a handler so it runs only for admitted callers.
    public func guarding<Output: ResponseGenerator>(
        _ handler: @escaping @Sendable (Request, RegistryRequestContext, Caller) async throws -> Output
    ) -> @Sendable (Request, RegistryRequestContext) async throws -> Output {
        { request, context in
            let caller = try await authorize(request, context: context)
            return try await handler(request, context, caller)
        }
    }
}
