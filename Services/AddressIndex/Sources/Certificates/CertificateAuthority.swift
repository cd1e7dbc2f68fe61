// Issues and verifies electronic address certificates (EdDSA JWS) and publishes the key.

import Crypto
import Foundation
import JWTKit
import RegistrySchema

/// Signs certificates with one Ed25519 key: generated on first start into the data directory
/// (mode 0600) or read from `CERT_SIGNING_KEY_FILE` (PKCS#8 PEM).
public struct CertificateAuthority: Sendable {
    /// How long a certificate is valid.
    public static let lifetime: TimeInterval = 30 * 86_400
    /// The `iss` of every certificate.
    public static let issuer = "address-registry"

    /// The signing key collection (jwt-kit builds it asynchronously; made once, at init).
    let keys: Task<JWTKeyCollection, Never>
    let publicKey: EdDSA.PublicKey
    /// The key id (first 16 hex digits of SHA-256 of the public key).
    public let kid: String

    /// Loads the key from `keyFile`, or from `<dataDirectory>/certificate-signing-key.pem`,
    /// creating that file with a new key if it does not exist.
    public static func load(keyFile: String?, dataDirectory: String) throws -> CertificateAuthority {
        let path = keyFile ?? (dataDirectory as NSString).appendingPathComponent("certificate-signing-key.pem")
        let key: EdDSA.PrivateKey
        if FileManager.default.fileExists(atPath: path) {
            guard let pem = try? String(contentsOfFile: path, encoding: .utf8) else { throw CertificateKeyError(path: path, problem: "cannot read it") }
            do { key = try EdDSA.PrivateKey(pem: pem) } catch { throw CertificateKeyError(path: path, problem: "not an Ed25519 private key in PEM: \(error)") }
        } else if keyFile != nil {
            throw CertificateKeyError(path: path, problem: "no such file")
        } else {
            key = try EdDSA.PrivateKey(curve: .ed25519)
            guard FileManager.default.createFile(atPath: path, contents: Data(key.pemRepresentation.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw CertificateKeyError(path: path, problem: "cannot create it")
            }
        }
        return CertificateAuthority(key: key)
    }

    init(key: EdDSA.PrivateKey) {
        publicKey = key.publicKey
        let kid = SHA256.hash(data: key.publicKey.rawRepresentation).prefix(8).map { String(format: "%02x", $0) }.joined()
        self.kid = kid
        keys = Task { await JWTKeyCollection().add(eddsa: key, kid: JWKIdentifier(string: kid)) }
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
        let x = publicKey.rawRepresentation.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return ["keys": [["kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig"]]]
    }
}

/// The certificate signing key cannot be used.
public struct CertificateKeyError: Error, CustomStringConvertible {
    /// The key file.
    public let path: String
    /// What is wrong.
    public let problem: String
    public var description: String { "certificate signing key \(path): \(problem)" }
}
