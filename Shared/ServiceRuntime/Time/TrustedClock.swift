// The wall clock, held against the timestamps of the messages the service consumes.

import Foundation
import Logging
import Metrics
import Kafka
import Synchronization

/// A service's idea of "now" that a skewed host clock cannot move in the unsafe direction.
///
/// Every consumed message carries the time its producer (another host) stamped it, and it was
/// stamped before it arrived here; so *that timestamp plus the time elapsed since it arrived*,
/// measured on the monotonic clock (which a wrong wall clock does not affect), is a lower bound
/// of the real time. The newest such bound is kept. Two readings follow from it:
/// - ``latestNow``: the later of the wall clock and the bound, for checks that must not pass too
///   late (an expired token is refused even if the host clock runs behind);
/// - ``earliestNow``: the earlier of the two, for deadlines that must not fire too early (a
///   temporary stay is not announced as ended while the host clock runs ahead); `nil` until a
///   message has been seen, so such deadlines wait for a reading instead of trusting the host.
///
/// When the wall clock is behind the bound by more than ``tolerance``, it logs a warning (at most
/// every 10 minutes) and the `clock_behind_messages_seconds` gauge shows by how much.
///
/// A timestamp is only evidence if it is plausible: anyone who may produce to a topic the service
/// reads chooses its messages' timestamps, and one message stamped in the year 2100 would
/// otherwise make every token look expired until a restart. Timestamps more than ``maxAhead``
/// (`CLOCK_MAX_AHEAD`) ahead of the host clock are ignored, counted in
/// `clock_future_timestamps_ignored_total`, and logged once.
public final class TrustedClock: Sendable {
    /// Differences up to this are ordinary (clock jitter, NTP steps); beyond it the clock is called skewed.
    public static let tolerance: TimeInterval = 60

    private struct Reading {
        var stamped: Date
        var arrived: ContinuousClock.Instant
        var bound: Date { stamped.addingTimeInterval((ContinuousClock.now - arrived).inSeconds) }
    }

    private struct State {
        var reading: Reading?
        var lastWarning: ContinuousClock.Instant?
        var loggedFutureTimestamp = false
    }

    private let state = Mutex(State())
    private let wallClock: @Sendable () -> Date
    private let behind: Gauge
    private let ignoredFuture: Counter
    private let logger: Logger
    /// How far ahead of the host clock a timestamp may be and still count.
    public let maxAhead: Duration

    /// The default of `CLOCK_MAX_AHEAD`: 5 minutes.
    public static let defaultMaxAhead = Duration.seconds(300)

    /// Creates a clock.
    /// - Parameters:
    ///   - maxAhead: `CLOCK_MAX_AHEAD`.
    ///   - wallClock: The host clock (replaceable by tests).
    public init(service: String, logger: Logger, maxAhead: Duration = TrustedClock.defaultMaxAhead, wallClock: @escaping @Sendable () -> Date = { Date() }) {
        self.wallClock = wallClock
        self.logger = logger
        self.maxAhead = maxAhead
        behind = Gauge(label: "clock_behind_messages_seconds", dimensions: [("service", service)])
        ignoredFuture = Counter(label: "clock_future_timestamps_ignored_total", dimensions: [("service", service)])
    }

    /// Takes in the newest producer timestamp of a batch of consumed messages, in milliseconds since 1970.
    public func observe(timestampMilliseconds: Int64) {
        let stamped = Date(timeIntervalSince1970: Double(timestampMilliseconds) / 1000)
        let wall = wallClock()
        guard stamped.timeIntervalSince(wall) <= maxAhead.inSeconds else {
            ignoredFuture.increment()
            let first = state.withLock { state in
                defer { state.loggedFutureTimestamp = true }
                return !state.loggedFutureTimestamp
            }
            if first {
                logger.warning(
                    "ignored a consumed message's timestamp too far ahead of the host clock (CLOCK_MAX_AHEAD); its producer's clock or the message is wrong. Further ones are only counted in clock_future_timestamps_ignored_total.",
                    metadata: ["aheadSeconds": "\(Int(stamped.timeIntervalSince(wall)))", "maxAheadSeconds": "\(Int(maxAhead.inSeconds))"])
            }
            return
        }
        let (bound, warn): (Date, Bool) = state.withLock { state in
            if state.reading.map({ stamped > $0.bound }) ?? true {
                state.reading = Reading(stamped: stamped, arrived: .now)
            }
            let bound = state.reading!.bound
            let warn = bound.timeIntervalSince(wall) > Self.tolerance
                && state.lastWarning.map { ContinuousClock.now - $0 >= .seconds(600) } ?? true
            if warn { state.lastWarning = .now }
            return (bound, warn)
        }
        let lag = bound.timeIntervalSince(wall)
        behind.record(max(0, lag))
        if warn {
            logger.warning(
                "the host clock is behind the timestamps of consumed messages; tokens are checked against the messages' time. Check NTP on this host.",
                metadata: ["behindSeconds": "\(Int(lag))"])
        }
    }

    /// The newest lower bound of the real time, if a message has been seen.
    public var lowerBound: Date? { state.withLock { $0.reading?.bound } }

    /// The later of the host clock and ``lowerBound``: for expiry checks.
    public var latestNow: Date {
        let wall = wallClock()
        return lowerBound.map { max(wall, $0) } ?? wall
    }

    /// The earlier of the host clock and ``lowerBound``, or `nil` before any message was seen:
    /// for deadlines that must not be reached early.
    public var earliestNow: Date? {
        lowerBound.map { min(wallClock(), $0) }
    }
}
