// Per-actor token buckets: how many requests one caller may make.

import Kafka
import Synchronization

/// A token bucket per actor (the token's role and `sub`, or the client address without a token).
///
/// Each bucket holds up to ``burst`` tokens and refills at ``rate`` per second; a request takes
/// one. Hand-written rather than a library: none of the packages available here offers one, and
/// the whole of it is the arithmetic below.
public final class ActorRateLimiter: Sendable {
    /// Tokens added per second.
    public let rate: Double
    /// The bucket size: how many requests may come at once after a quiet spell.
    public let burst: Double

    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }
    private let buckets = Mutex<[String: Bucket]>([:])
    /// Above this many actors, buckets that are full again are forgotten (they would start full).
    private let pruneAbove = 10_000

    /// Creates a limiter.
    /// - Parameters:
    ///   - rate: Requests per second per actor (> 0).
    ///   - burst: Bucket size (≥ 1).
    public init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = max(1, burst)
    }

    /// Takes a token for `actor`.
    /// - Returns: `nil` when the request may proceed, else how long until a token is there.
    public func take(_ actor: String, now: ContinuousClock.Instant = .now) -> Duration? {
        buckets.withLock { buckets in
            var bucket = buckets[actor] ?? Bucket(tokens: burst, updated: now)
            let elapsed = bucket.updated.duration(to: now)
            bucket.tokens = min(burst, bucket.tokens + max(0, elapsed.inSeconds) * rate)
            bucket.updated = now
            defer {
                buckets[actor] = bucket
                if buckets.count > pruneAbove { prune(&buckets, now: now) }
            }
            guard bucket.tokens >= 1 else {
                return .milliseconds(Int64(((1 - bucket.tokens) / rate * 1000).rounded(.up)))
            }
            bucket.tokens -= 1
            return nil
        }
    }

    private func prune(_ buckets: inout [String: Bucket], now: ContinuousClock.Instant) {
        let refill = Duration.milliseconds(Int64(burst / rate * 1000))
        buckets = buckets.filter { $0.value.updated.duration(to: now) < refill }
    }
}
