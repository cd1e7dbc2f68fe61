// When a failed delivery is tried again, and when it is given up.

import Foundation
import Kafka
import ServiceRuntime

/// The back-off of docs/architecture.md §5.2: the listed pauses (default 5 s, 30 s, 2 m, 10 m, 30 m, 1 h, 3 h),
/// then a fixed pause (default 6 h) for as long as the total, with the most jitter, stays within
/// the give-up time (default 3 days); after the last attempt a delivery is `dead`. Each pause is
/// stretched by a random 0-10 % (jitter) so receivers that failed together are not retried
/// together; never shortened, so a receiver sees at least the documented pause.
public struct RetrySchedule: Sendable, Hashable {
    /// The pause before attempt 2, 3, … (without jitter).
    public let pauses: [Duration]

    /// A schedule.
    /// - Parameters:
    ///   - steps: The first pauses.
    ///   - repeating: The pause that follows them.
    ///   - giveUpAfter: No attempt is planned later than this after the first one.
    public init(steps: [Duration], repeating: Duration, giveUpAfter: Duration) {
        var pauses: [Duration] = []
        var total = Duration.zero
        func fits(_ pause: Duration) -> Bool { (total + pause) * (1 + Self.maximumJitter) <= giveUpAfter }
        for step in steps where fits(step) {
            pauses.append(step)
            total += step
        }
        if pauses.count == steps.count && repeating > .zero {
            while fits(repeating) {
                pauses.append(repeating)
                total += repeating
            }
        }
        self.pauses = pauses
    }

    /// The largest stretch of a pause.
    public static let maximumJitter = 0.1

    /// The default of docs/architecture.md §5.2 (18 attempts within 3 days).
    public static let standard = RetrySchedule(
        steps: [.seconds(5), .seconds(30), .seconds(120), .seconds(600), .seconds(1800), .seconds(3600), .seconds(10800)],
        repeating: .seconds(21600), giveUpAfter: .seconds(259_200))

    /// How many attempts a delivery gets before it is dead.
    public var attempts: Int { pauses.count + 1 }

    /// The pause after failed attempt `attempt` (1-based) with jitter, or `nil` when it was the last.
    public func pause(after attempt: Int, jitter: Double = Double.random(in: 0..<maximumJitter)) -> Duration? {
        guard attempt >= 1, attempt <= pauses.count else { return nil }
        return pauses[attempt - 1] * (1 + jitter)
    }

    /// Reads a duration such as `250ms`, `5s`, `2m`, `1h` or `3d`.
    public static func duration(_ text: String) -> Duration? {
        EnvironmentReader.duration(text)
    }

    /// Reads a comma-separated list of durations (`5s,30s,2m`).
    public static func durations(_ text: String) -> [Duration]? {
        let parts = text.split(separator: ",").map { duration(String($0)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0! > .zero }) else { return nil }
        return parts.map { $0! }
    }
}
