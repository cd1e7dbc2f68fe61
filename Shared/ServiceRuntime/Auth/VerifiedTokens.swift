// Tokens whose signature was already checked, so a caller's next request skips the crypto.

import Synchronization

/// The claims of recently verified tokens, by the exact token text.
///
/// An agency sends the same token with every request until it expires; checking its signature
/// and parsing it each time was a tenth of a lookup's CPU (`make bench`'s profile). A token
/// found here skips only the signature and parsing: its expiry and `iat` are checked at every
/// use, as for a new token. The verifier's keys are fixed at start, so a signature once valid
/// stays valid. At most ``capacity`` tokens are kept; when full, the cache starts over.
final class VerifiedTokens: Sendable {
    /// Most tokens kept.
    let capacity: Int
    private let claims = Mutex<[String: RegistryTokenClaims]>([:])

    init(capacity: Int = 4_096) {
        self.capacity = capacity
    }

    /// The claims of `token`, if it was verified before.
    func claims(of token: String) -> RegistryTokenClaims? {
        claims.withLock { $0[token] }
    }

    /// Remembers a token whose signature verified.
    func remember(_ token: String, _ verified: RegistryTokenClaims) {
        claims.withLock { known in
            if known.count >= capacity { known.removeAll(keepingCapacity: true) }
            known[token] = verified
        }
    }
}
