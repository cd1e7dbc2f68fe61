// Secrets used only by tests.

import Foundation

/// Development secrets for test processes (never used outside tests).
public enum TestSecrets {
    /// An HS256 secret of the length the services require.
    public static let jwt = "test-only-jwt-secret-0123456789-abcdef"

    /// An Ed25519 private key (PKCS#8 PEM) for the audit's checkpoints in tests.
    public static let auditSigningKey = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEII8+idXhi2j0LR6BZ/82Wzn3DWvHG0Q8M/WnP3lEVO9d
        -----END PRIVATE KEY-----

        """

    /// Writes ``auditSigningKey`` to a new file outside any data directory, as production keeps
    /// it (`AUDIT_SIGNING_KEY_FILE`), and returns its path.
    public static func auditSigningKeyFile() throws -> String {
        let directory = NSTemporaryDirectory() + "audit-key-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let path = directory + "/audit-signing-key.pem"
        guard FileManager.default.createFile(atPath: path, contents: Data(auditSigningKey.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        return path
    }
}
