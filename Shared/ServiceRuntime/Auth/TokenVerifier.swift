// Verifying bearer tokens with a pinned algorithm.

import Foundation
import JWTKit

/// Verifies access tokens. The accepted algorithms come from configuration, never from the
/// token: HS256 with `REGISTRY_JWT_SECRET` (development), or the ES256/EdDSA keys of
/// `REGISTRY_JWT_JWKS_FILE` (production). `exp` is required; 60 s of clock skew is allowed; the
/// ``TokenRules`` bound the lifetime and name the issuer and audience.
public struct TokenVerifier: Sendable {
    private let keys: JWTKeyCollection
    /// The `alg` values a token header may carry.
    public let acceptedAlgorithms: Set<String>
    /// Where `exp` and `iat` are checked against; the host clock when `nil`.
    private var clock: TrustedClock?
    /// Lifetime, issuer and audience requirements.
    public private(set) var rules = TokenRules()
    /// Tokens already verified (signature and parsing are skipped; times are checked again).
    private let verified = VerifiedTokens()

    init(keys: JWTKeyCollection, acceptedAlgorithms: Set<String>) {
        self.keys = keys
        self.acceptedAlgorithms = acceptedAlgorithms
    }

    /// This verifier, checking expiry at ``TrustedClock/latestNow``: a host clock running behind
    /// then does not let an expired token through once a message has shown the real time.
    public func checkingTime(against clock: TrustedClock) -> TokenVerifier {
        var verifier = self
        verifier.clock = clock
        return verifier
    }

    /// This verifier, also requiring `rules` (lifetime, issuer, audience).
    public func requiring(_ rules: TokenRules) -> TokenVerifier {
        var verifier = self
        verifier.rules = rules
        return verifier
    }

    /// Trusts HS256 tokens signed with `secret`.
    public static func hs256(secret: String) async -> TokenVerifier {
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return TokenVerifier(keys: keys, acceptedAlgorithms: ["HS256"])
    }

    /// Trusts the ES256 and EdDSA public keys of a JWKS document; other key types are refused.
    public static func jwks(json: String) async throws -> TokenVerifier {
        let document = try JSONDecoder().decode(JWKS.self, from: Data(json.utf8))
        var algorithms: Set<String> = []
        let keys = JWTKeyCollection()
        for key in document.keys {
            switch key.keyType {
            case .ecdsa:
                algorithms.insert("ES256")
            case .octetKeyPair:
                algorithms.insert("EdDSA")
            default:
                throw TokenConfigurationError(problem: "the JWKS holds a \(key.keyType) key; only EC P-256 (ES256) and OKP Ed25519 (EdDSA) keys are accepted")
            }
            try await keys.add(jwk: key)
        }
        guard !algorithms.isEmpty else { throw TokenConfigurationError(problem: "the JWKS holds no keys") }
        return TokenVerifier(keys: keys, acceptedAlgorithms: algorithms)
    }

    /// Verifies a compact JWS and returns the caller.
    /// - Throws: ``TokenRejection`` saying why the token is not accepted.
    public func verify(_ token: String) async throws -> Principal {
        if let known = verified.claims(of: token) {
            try known.verify(at: clock?.latestNow ?? Date(), rules: rules)
            return known.principal
        }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = Self.decodeSegment(parts[0]),
            let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any],
            let algorithm = object["alg"] as? String
        else { throw TokenRejection(reason: "the token is not a compact JWS") }
        guard acceptedAlgorithms.contains(algorithm) else {
            throw TokenRejection(reason: "the token's algorithm is not accepted here")
        }
        let claims: RegistryTokenClaims
        do {
            let check = RegistryTokenClaims.Check(now: clock?.latestNow ?? Date(), rules: rules)
            claims = try await RegistryTokenClaims.$check.withValue(check) {
                try await keys.verify(token, as: RegistryTokenClaims.self)
            }
        } catch let rejection as TokenRejection {
            throw rejection
        } catch let error as JWTError {
            throw TokenRejection(reason: Self.describe(error))
        } catch {
            throw TokenRejection(reason: "the token's claims are not valid")
        }
        verified.remember(token, claims)
        return claims.principal
    }

    private static func describe(_ error: JWTError) -> String {
        switch error.errorType {
        case .claimVerificationFailure: return "the token has expired or its claims are not valid"
        case .signatureVerificationFailed: return "the token's signature does not verify"
        case .missingKIDHeader, .unknownKID: return "the token was not signed by a trusted key"
        default: return "the token is not valid"
        }
    }

    static func decodeSegment(_ segment: Substring) -> Data? {
        var base64 = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}

/// Why a token was refused (answered as 401).
public struct TokenRejection: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

/// The token configuration cannot be used.
public struct TokenConfigurationError: Error, Sendable, CustomStringConvertible {
    public let problem: String
    public var description: String { problem }
}
