// Secrets used only by tests.

/// Development secrets for test processes (never used outside tests).
public enum TestSecrets {
    /// An HS256 secret of the length the services require.
    public static let jwt = "test-only-jwt-secret-0123456789-abcdef"
}
