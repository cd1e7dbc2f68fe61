// The copy another consumer's events are decided against, brought up to date before they are.

import Kafka
import Logging
import Synchronization

/// A service's copy of a topic that decides what happens to another consumer's events (the
/// catalog copy: intake's `UNKNOWN_ADDRESS`, notification's owner alerts), as seen by the engine
/// that decides them.
///
/// A copy that receives nothing for a while stops fetching and checks its partitions' ends only
/// every second (``ConsumerPace/decisive``): checking every 50 ms, as the copy must for an event
/// that follows its dwelling closely, was about half of an idle stack's ListOffsets requests. So
/// the deciding engine checks instead, when it has something to decide: before a batch, at most
/// once per ``interval``, it asks for the copy's partitions' ends (one ListOffsets), and where the
/// copy lies behind them, wakes it if it has stopped fetching and waits (up to ``longestWait``)
/// until it has read those partitions to their end, or has applied everything its fetch since
/// then reported, at or past the ends asked. A message published to the copy's topic before
/// that check is then in the copy when the batch is decided; batches within ``interval`` of a
/// check are decided against the copy as it is, so under load, as before, a dwelling may be
/// overtaken by an event published within about that interval after it.
public final class DecidingCopy: Sendable {
    /// The copy's engine (bound once the runtime built it).
    public let handle: EngineHandle
    /// At most one check of the copy's ends per this interval.
    public let interval: Duration
    /// The longest a batch waits for the copy's ends, then for the copy to read them; then it is
    /// decided against the copy as it is (and a warning says so).
    public let longestWait: Duration
    /// After a check that failed or a wait that ran out, checks pause this long.
    public let backoff: Duration
    private let nextCheck = Mutex<ContinuousClock.Instant?>(nil)
    private let logger: Logger

    /// Creates the deciding engine's view of a copy.
    public init(
        handle: EngineHandle, interval: Duration = .milliseconds(50), longestWait: Duration = .seconds(2), backoff: Duration = .seconds(1),
        logger: Logger
    ) {
        self.handle = handle
        self.interval = interval
        self.longestWait = longestWait
        self.backoff = backoff
        self.logger = logger
    }

    /// Brings the copy up to what its topic holds now, unless it was checked within
    /// ``interval``. Never throws: a check that fails leaves the copy as it is (the copy's own
    /// checks go on).
    public func catchUp() async {
        guard let copy = handle.engine else { return }
        let now = ContinuousClock.now
        let due = nextCheck.withLock { next in
            guard next.map({ now >= $0 }) ?? true else { return false }
            next = now + interval
            return true
        }
        guard due else { return }
        let deadline = now + longestWait
        do {
            let ends = try await copy.latestOffsets(timeout: longestWait)
            var behind = ends.filter { !Self.holds(copy, $0.key, upTo: $0.value) }
            guard !behind.isEmpty else { return }
            copy.wake()
            while !behind.isEmpty {
                guard ContinuousClock.now < deadline else {
                    logger.warning("deciding against a copy that has not caught up", metadata: [
                        "partitions": "\(behind.keys.map(\.description).sorted())", "waited": "\(longestWait)",
                    ])
                    pause()
                    return
                }
                try await Task.sleep(for: .milliseconds(2))
                behind = behind.filter { !Self.holds(copy, $0.key, upTo: $0.value) }
            }
        } catch is CancellationError {
            return
        } catch {
            logger.debug("could not check the copy's ends", metadata: ["error": "\(error)"])
            pause()
        }
    }

    /// Whether `copy` holds every message of `partition` before `end`: it read the partition to
    /// its end at or past `end`, or applied everything up to the high watermark its latest
    /// fetch reported, at or past `end`. (ListOffsets may name the start of the last record
    /// batch rather than its end, as Tansu's does; either condition covers the whole batch.) A
    /// partition the copy does not read counts as held.
    private static func holds(_ copy: ProcessingEngine, _ partition: KafkaTopicPartition, upTo end: Int64) -> Bool {
        guard let position = copy.position(of: partition) else { return true }
        if let reached = copy.endReached(of: partition), reached >= end { return true }
        guard position >= end, let fetched = copy.fetchedHighWatermark(of: partition) else { return false }
        return fetched >= end && position >= fetched
    }

    private func pause() {
        let until = ContinuousClock.now + backoff
        nextCheck.withLock { $0 = max($0 ?? until, until) }
    }
}
