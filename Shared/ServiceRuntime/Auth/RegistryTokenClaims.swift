// The claims of a registry access token (docs/architecture.md §5.1).

import Foundation
import JWTKit

/// `sub`, `role`, `scope`, `org`, `exp` (required), `iat`, `nbf`, `iss`, `aud`, and for upstream
/// systems `sources`.
public struct RegistryTokenClaims: JWTPayload, Equatable {
    public var sub: SubjectClaim
    public var role: String
    public var scope: String?
    public var org: String?
    public var exp: ExpirationClaim
    public var iat: IssuedAtClaim?
    public var nbf: NotBeforeClaim?
    public var iss: IssuerClaim?
    public var aud: AudienceClaim?
    /// For `upstream` tokens: the CloudEvent `source` values the system may submit under; an
    /// entry ending in `/` is a prefix.
    public var sources: [String]?

    /// Allowed clock difference between issuer and verifier.
    public static let clockSkew: TimeInterval = 60

    /// Creates claims.
    public init(
        sub: String, role: Role, scope: String?, org: String?, expires: Date, issued: Date = Date(), notBefore: Date? = nil,
        issuer: String? = nil, audience: [String]? = nil, sources: [String]? = nil
    ) {
        self.sub = SubjectClaim(value: sub)
        self.role = role.rawValue
        self.scope = scope
        self.org = org
        self.exp = ExpirationClaim(value: expires)
        self.iat = IssuedAtClaim(value: issued)
        self.nbf = notBefore.map(NotBeforeClaim.init(value:))
        self.iss = issuer.map(IssuerClaim.init(value:))
        self.aud = audience.map(AudienceClaim.init(value:))
        self.sources = sources
    }

    /// What claims are checked against while a token is verified: ``TokenVerifier`` sets the
    /// time (the ``TrustedClock``'s ``TrustedClock/latestNow``) and its ``TokenRules``.
    struct Check: Sendable {
        var now: Date
        var rules: TokenRules
    }

    @TaskLocal static var check: Check?

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        let check = Self.check ?? Check(now: Date(), rules: TokenRules())
        try verify(at: check.now, rules: check.rules)
    }

    /// Checks expiry and `nbf` (with ``clockSkew``), that `iat` is not in the future, the
    /// lifetime, the issuer and the audience.
    /// - Throws: ``TokenRejection`` saying which claim failed.
    func verify(at now: Date, rules: TokenRules) throws {
        guard exp.value > now.addingTimeInterval(-Self.clockSkew) else { throw TokenRejection(reason: "the token has expired") }
        if let iat, iat.value > now.addingTimeInterval(Self.clockSkew) {
            throw TokenRejection(reason: "the token was issued in the future (iat)")
        }
        if let nbf, nbf.value > now.addingTimeInterval(Self.clockSkew) {
            throw TokenRejection(reason: "the token is not valid yet (nbf)")
        }
        // Without iat the lifetime is measured from the start of its validity, or from now.
        let start = iat?.value ?? nbf?.value ?? now
        guard exp.value.timeIntervalSince(start) <= rules.maxLifetime else {
            throw TokenRejection(reason: "the token's lifetime (exp - iat) is over the \(EnvironmentReader.describe(.seconds(rules.maxLifetime))) this service accepts (REGISTRY_JWT_MAX_LIFETIME)")
        }
        if let issuer = rules.issuer, iss?.value != issuer {
            throw TokenRejection(reason: "the token was not issued by the issuer this service trusts (iss)")
        }
        if let audience = rules.audience, !(aud?.value.contains(audience) ?? false) {
            throw TokenRejection(reason: "the token is not meant for this service (aud)")
        }
        guard Role(rawValue: role) != nil else {
            throw TokenRejection(reason: "the token's role '\(role)' is unknown")
        }
    }

    var principal: Principal {
        Principal(
            subject: sub.value, role: Role(rawValue: role)!,
            scopes: Set((scope ?? "").split(separator: " ").map(String.init)), organisation: org, sources: sources ?? [])
    }
}

/// What a service requires of a token beyond its signature and expiry (docs/architecture.md §5.1, §7).
public struct TokenRules: Sendable, Hashable {
    /// `REGISTRY_JWT_MAX_LIFETIME`: the longest `exp` − `iat` accepted.
    public var maxLifetime: TimeInterval
    /// `REGISTRY_JWT_ISSUER`: the `iss` required, if set.
    public var issuer: String?
    /// `REGISTRY_JWT_AUDIENCE`: a value `aud` must contain, if set.
    public var audience: String?

    /// The default lifetime bound: 24 hours.
    public static let defaultMaxLifetime: TimeInterval = 24 * 3600

    /// Creates rules.
    public init(maxLifetime: TimeInterval = Self.defaultMaxLifetime, issuer: String? = nil, audience: String? = nil) {
        self.maxLifetime = maxLifetime
        self.issuer = issuer
        self.audience = audience
    }
}
