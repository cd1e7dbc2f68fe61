// The claims of a registry access token (DESIGN §5.1).

import Foundation
import JWTKit

/// `sub`, `role`, `scope`, `org`, `exp` (required), `iat`.
public struct RegistryTokenClaims: JWTPayload, Equatable {
    public var sub: SubjectClaim
    public var role: String
    public var scope: String?
    public var org: String?
    public var exp: ExpirationClaim
    public var iat: IssuedAtClaim?

    /// Allowed clock difference between issuer and verifier.
    public static let clockSkew: TimeInterval = 60

    /// Creates claims.
    public init(sub: String, role: Role, scope: String?, org: String?, expires: Date, issued: Date = Date()) {
        self.sub = SubjectClaim(value: sub)
        self.role = role.rawValue
        self.scope = scope
        self.org = org
        self.exp = ExpirationClaim(value: expires)
        self.iat = IssuedAtClaim(value: issued)
    }

    /// The time claims are checked at, when the verifier sets it (``TokenVerifier`` sets the
    /// ``TrustedClock``'s ``TrustedClock/latestNow``); the host clock otherwise.
    @TaskLocal static var verificationTime: Date?

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try verify(at: Self.verificationTime ?? Date())
    }

    /// Checks expiry (with ``clockSkew``) and that `iat` is not in the future.
    func verify(at now: Date) throws {
        try exp.verifyNotExpired(currentDate: now.addingTimeInterval(-Self.clockSkew))
        if let iat, iat.value > now.addingTimeInterval(Self.clockSkew) {
            throw JWTError.claimVerificationFailure(failedClaim: iat, reason: "issued in the future")
        }
        guard Role(rawValue: role) != nil else {
            throw JWTError.claimVerificationFailure(failedClaim: sub, reason: "unknown role '\(role)'")
        }
    }

    var principal: Principal {
        Principal(
            subject: sub.value, role: Role(rawValue: role)!,
            scopes: Set((scope ?? "").split(separator: " ").map(String.init)), organisation: org)
    }
}
