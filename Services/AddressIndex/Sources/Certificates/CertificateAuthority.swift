// Issues and verifies electronic address certificates (EdDSA JWS) and publishes the key.

import Crypto
import Foundation
import JWTKit
import RegistrySchema
import ServiceRuntime

/// Signs certificates with one Ed25519 key: generated on first start into the data directory
/// (mode 0600) or read from `CERT_SIGNING_KEY_FILE` (PKCS#8 PEM).
public struct CertificateAuthority: Sendable {
    /// How long a certificate is valid.
    public static let lifetime: TimeInterval = 30 * 86_400
    /// The `iss` of every certificate.
    public static let issuer = "address-registry"

    /// The signing key collection (jwt-kit builds it asynchronously; made once, at init).
    let keys: Task<JWTKeyCollection, Never>
    let publicKey: Curve25519.Signing.PublicKey
    /// The key id (first 16 hex digits of SHA-256 of the public key).
    public let kid: String

    /// Loads the key from `keyFile`, or from `<dataDirectory>/certificate-signing-key.pem`,
    /// creating that file with a new key if it does not exist.
    public static func load(keyFile: String?, dataDirectory: String) throws -> CertificateAuthority {
        let key = try Ed25519KeyFile.load(configured: keyFile, dataDirectory: dataDirectory, name: "certificate-signing-key.pem")
        return CertificateAuthority(key: key)
    }

    init(key: Curve25519.Signing.PrivateKey) {
        publicKey = key.publicKey
        let kid = Ed25519KeyFile.keyID(key.publicKey)
        self.kid = kid
        keys = Task { await JWTKeyCollection().add(eddsa: EdDSA.PrivateKey(backing: key), kid: JWKIdentifier(string: kid)) }
    }

    /// A certificate of `registration`, valid for 30 days from `now`.
    public func issue(_ registration: RegistrationView, now exactly: Date = Date()) async throws -> (token: String, expiresAt: Timestamp) {
        let now = Date(timeIntervalSince1970: exactly.timeIntervalSince1970.rounded(.down))  // NumericDate in whole seconds
        let expires = now.addingTimeInterval(Self.lifetime)
        let claims = CertificateClaims(
            iss: IssuerClaim(value: Self.issuer), sub: SubjectClaim(value: registration.iin.rawValue), iat: IssuedAtClaim(value: now),
            exp: ExpirationClaim(value: expires), jti: IDClaim(value: UUID().uuidString.lowercased()), registration: registration)
        return (try await keys.value.sign(claims, kid: JWKIdentifier(string: kid)), Timestamp(expires))
    }

    /// The claims of a genuine, unexpired certificate, or `nil`.
    func verify(_ token: String) async -> CertificateClaims? {
        try? await keys.value.verify(token, as: CertificateClaims.self)
    }

    /// `/.well-known/jwks.json`: the public key as an OKP JWK.
    public var jwks: [String: [[String: String]]] {
        ["keys": [Ed25519KeyFile.jwk(publicKey)]]
    }
}
