// The copy another consumer's events are decided against, brought up to date before they are.

import Kafka
import Logging
import Synchronization

/// A service's copy of a topic that decides what happens to another consumer's events (the
/// catalog copy: intake's `UNKNOWN_ADDRESS`, notification's owner alerts), as seen by the engine
/// that decides them.
///
/// A copy that receives nothing for a while stops fetching and checks its partitions' ends only
/// now and then (``ConsumerPace/decisive``): checking every 50 ms, as the copy must for an event
/// that follows its dwelling closely, was about half of an idle stack's broker requests. So the
/// deciding engine checks instead, when it has something to decide: before each batch, if the
/// copy has stopped fetching, it asks for the copy's partitions' ends (at most once per
/// ``interval``), and when the copy lies behind them, wakes it and waits (up to ``longestWait``)
/// until it has applied them. A message published to the copy's topic before that check is then
/// in the copy when the batch is decided. A copy that is fetching is as current as a fetch
/// (the pace's 20 ms), and is not checked.
public final class DecidingCopy: Sendable {
    /// The copy's engine (bound once the runtime built it).
    public let handle: EngineHandle
    /// At most one check of the copy's ends per this interval (a batch within it is decided
    /// against the copy as it is).
    public let interval: Duration
    /// The longest a batch waits for the copy to apply what it lies behind; then it is decided
    /// against the copy as it is (and a warning says so).
    public let longestWait: Duration
    private let lastCheck = Mutex<ContinuousClock.Instant?>(nil)
    private let logger: Logger

    /// Creates the deciding engine's view of a copy.
    public init(handle: EngineHandle, interval: Duration = .milliseconds(50), longestWait: Duration = .seconds(2), logger: Logger) {
        self.handle = handle
        self.interval = interval
        self.longestWait = longestWait
        self.logger = logger
    }

    /// Brings the copy up to what its topic holds now, if it has stopped fetching and was not
    /// checked within ``interval``. Never throws: a check that fails leaves the copy as it is (the
    /// copy's own checks go on).
    public func catchUp() async {
        guard let copy = handle.engine, copy.isFetchDormant else { return }
        let now = ContinuousClock.now
        let due = lastCheck.withLock { last in
            guard last.map({ now - $0 >= interval }) ?? true else { return false }
            last = now
            return true
        }
        guard due else { return }
        do {
            let ends = try await copy.latestOffsets()
            var behind = ends.filter { partition, end in (copy.position(of: partition) ?? end) < end }
            guard !behind.isEmpty else { return }
            copy.wake()
            let deadline = ContinuousClock.now + longestWait
            while !behind.isEmpty {
                guard ContinuousClock.now < deadline else {
                    logger.warning("deciding against a copy that has not caught up", metadata: [
                        "partitions": "\(behind.keys.map(\.description).sorted())", "waited": "\(longestWait)",
                    ])
                    return
                }
                try await Task.sleep(for: .milliseconds(2))
                behind = behind.filter { partition, end in (copy.position(of: partition) ?? end) < end }
            }
        } catch is CancellationError {
            return
        } catch {
            logger.debug("could not check the copy's ends", metadata: ["error": "\(error)"])
        }
    }
}
