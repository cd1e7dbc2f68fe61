// An Ed25519 signing key kept in a PEM file: the index's certificates, the audit's checkpoints.

import Crypto
import Foundation

/// Loads a service's Ed25519 private key from `configured` (a file the operator provides), or
/// from `<dataDirectory>/<name>`, generating it there (PKCS#8 PEM, mode 0600) on first start.
public enum Ed25519KeyFile {
    /// The key, loaded or created.
    /// - Throws: ``KeyFileError`` naming the file.
    public static func load(configured: String?, dataDirectory: String, name: String) throws -> Curve25519.Signing.PrivateKey {
        let path = configured ?? (dataDirectory as NSString).appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: path) {
            guard let pem = try? String(contentsOfFile: path, encoding: .utf8) else { throw KeyFileError(path: path, problem: "cannot read it") }
            do {
                return try Curve25519.Signing.PrivateKey(pemRepresentation: pem)
            } catch {
                throw KeyFileError(path: path, problem: "not an Ed25519 private key in PEM: \(error)")
            }
        }
        if configured != nil { throw KeyFileError(path: path, problem: "no such file") }
        let key = Curve25519.Signing.PrivateKey()
        try? FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        guard FileManager.default.createFile(atPath: path, contents: Data(key.pemRepresentation.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw KeyFileError(path: path, problem: "cannot create it")
        }
        return key
    }

    /// The public key as an OKP JWK with a key id (first 16 hex digits of its SHA-256).
    public static func jwk(_ key: Curve25519.Signing.PublicKey) -> [String: String] {
        ["kty": "OKP", "crv": "Ed25519", "x": base64URL(key.rawRepresentation), "kid": keyID(key), "alg": "EdDSA", "use": "sig"]
    }

    /// The key id of `key`.
    public static func keyID(_ key: Curve25519.Signing.PublicKey) -> String {
        SHA256.hash(data: key.rawRepresentation).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// Base64url without padding (RFC 7515).
    public static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

/// A key file cannot be used.
public struct KeyFileError: Error, CustomStringConvertible {
    /// The file.
    public let path: String
    /// What is wrong.
    public let problem: String
    public var description: String { "signing key \(path): \(problem)" }
}
