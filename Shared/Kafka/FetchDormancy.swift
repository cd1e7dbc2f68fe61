// An idle consumer stops fetching and watches its partitions' ends instead.

import Logging
import Synchronization

/// When a consumer stops fetching for lack of messages, and how it notices new ones.
public struct FetchDormancySettings: Sendable {
    /// How long a consumer receives nothing before it stops fetching.
    public var after: Duration
    /// How often a dormant consumer asks for its partitions' latest offsets: the most a message
    /// that arrives at an idle consumer waits before fetching starts again.
    public var checkInterval: Duration

    /// Creates settings.
    public init(after: Duration, checkInterval: Duration) {
        self.after = after
        self.checkInterval = checkInterval
    }
}

/// Stops a consumer's fetching while nothing arrives, and restarts it when something does.
///
/// A consumer fetches again as soon as a fetch is answered, and the broker holds an empty fetch
/// for at most `fetch.wait.max.ms`: a consumer that must see messages within 20 ms asks 50 times
/// a second, day and night. Tansu spends about 0.5 ms of CPU on a fetch plus 0.03 ms per partition
/// in it, so an idle stack kept a quarter of a core busy (bench/results). After
/// ``FetchDormancySettings/after`` without a message the consumer pauses its partitions and asks
/// every ``FetchDormancySettings/checkInterval`` for their latest offsets instead (one ListOffsets
/// request, about 1/30 of the fetches' cost on Tansu); once a partition's latest offset passes
/// what the application has seen of it, the assignment changes, or the owner wakes it because it
/// learnt of new messages otherwise (``wake()``), fetching starts again.
///
/// **What the application has seen** is the baseline, not what librdkafka fetched: a pause is
/// asynchronous, and librdkafka purges what a fetch answered between the last empty poll and the
/// pause (`rd_kafka_toppar_pause_resume`). A partition's seen position is the offset after the
/// last message delivered from it, or the offset of its last end-of-partition event if that is
/// further (the end counts transaction markers, which are never delivered, so a marker alone does
/// not wake the consumer). A purged message lies at or past that position, and the latest offset
/// (Kafka's end offset, or Tansu's last batch base + 1) exceeds it: the next check wakes the
/// consumer. librdkafka resumes a paused partition from the application's position only when it
/// knows one (a message was consumed since the assignment) and from its own fetch position, past
/// the purged messages, otherwise; so after pausing, every partition is moved (seek) to its seen
/// position, and fetching restarts exactly there. A consumer stops fetching only once it has a
/// seen position for every partition it holds (each fetched to its end at least once since its
/// assignment), and a partition's position is forgotten when it is assigned or revoked.
///
/// A failed check or seek restarts fetching, which then reports any failure as usual. Used only
/// from the consumer's poll loop, except ``assigned(_:)`` and ``revoked(_:)``.
final class FetchDormancy: Sendable {
    private struct State {
        var lastDelivery: ContinuousClock.Instant
        /// The partitions assigned, as the rebalance callbacks and manual (un)assignments said.
        var held: Set<KafkaTopicPartition> = []
        /// Per partition held, the offset after what the application has seen of it since it was
        /// assigned.
        var seen: [KafkaTopicPartition: Int64] = [:]
        /// While dormant: each paused partition's seen position when fetching stopped.
        var watched: [KafkaTopicPartition: Int64]?
        var nextCheck: ContinuousClock.Instant
        var assignmentChanged = false
        /// Set by ``wake()``: the next poll restarts fetching.
        var wakeRequested = false
    }

    /// How long a seek after the pause may take before the consumer gives up stopping.
    private static let seekTimeout: Duration = .seconds(5)

    let settings: FetchDormancySettings
    private let logger: Logger
    private let state: Mutex<State>

    init(settings: FetchDormancySettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
        state = Mutex(State(lastDelivery: .now, nextCheck: .now))
    }

    /// Whether fetching is stopped now.
    var isDormant: Bool { state.withLock { $0.watched != nil } }

    /// How long the next poll waits for a message: a dormant consumer has nothing to wait for
    /// sooner than its next check.
    func pollTimeout(active: Duration) -> Duration {
        isDormant ? max(active, settings.checkInterval) : active
    }

    /// Restarts fetching at the next poll, if it is stopped: the owner knows of new messages
    /// before the next check would (``KafkaConsumer/wake()``).
    func wake() {
        state.withLock { s in
            if s.watched != nil { s.wakeRequested = true }
        }
    }

    /// Partitions assigned by a rebalance or manually: the next poll restarts fetching, and what
    /// was seen of them before counts no more. Told before a manual assignment takes effect.
    func assigned(_ partitions: some Sequence<KafkaTopicPartition>) {
        assignmentChanged(partitions, held: true)
    }

    /// Partitions revoked by a rebalance or unassigned manually: the next poll restarts
    /// fetching. Told before a manual unassignment takes effect.
    func revoked(_ partitions: some Sequence<KafkaTopicPartition>) {
        assignmentChanged(partitions, held: false)
    }

    private func assignmentChanged(_ partitions: some Sequence<KafkaTopicPartition>, held: Bool) {
        state.withLock { s in
            for tp in partitions {
                if held { s.held.insert(tp) } else { s.held.remove(tp) }
                s.seen[tp] = nil
            }
            s.assignmentChanged = true
        }
    }

    /// Called after every poll, with the positions it delivered: per partition, the offset after
    /// its last message, or its end-of-partition offset if further (empty: nothing delivered).
    func afterPoll(delivered positions: [KafkaTopicPartition: Int64], client: RDKafkaClient) {
        let now = ContinuousClock.now
        let delivered = !positions.isEmpty
        let (watched, changed, woken, idleSince, due) = state.withLock { s in
            defer { (s.assignmentChanged, s.wakeRequested) = (false, false) }
            // A poll that served a revocation may also have delivered from the revoked partitions
            // before it: only positions of partitions held now count. (An eager rebalance's
            // assignment waits for the revocation to be served, so both never fall in one poll.)
            for (tp, position) in positions where s.held.contains(tp) {
                s.seen[tp] = max(s.seen[tp] ?? position, position)
            }
            if delivered { s.lastDelivery = now }
            return (s.watched, s.assignmentChanged, s.wakeRequested, s.lastDelivery, now >= s.nextCheck)
        }
        if changed {
            // Also when fetching: a partition revoked while paused keeps its pause in librdkafka
            // and carries it into a later assignment.
            restartFetching(client: client, now: now, reason: "the assignment changed")
            return
        }
        guard let watched else {
            if !delivered && now - idleSince >= settings.after { stopFetching(client: client, now: now) }
            return
        }
        if delivered || woken {
            restartFetching(client: client, now: now, reason: delivered ? "a message arrived" : "woken by its owner")
            return
        }
        guard due else { return }
        let reason: String?
        do {
            let latest = try client.latestOffsets(Set(watched.keys), timeout: settings.checkInterval * 4)
            reason = watched.contains { tp, seen in (latest[tp] ?? .max) > seen } ? "new messages" : nil
        } catch {
            reason = "the end of its partitions could not be read (\(error))"
        }
        if let reason {
            restartFetching(client: client, now: now, reason: reason)
        } else {
            state.withLock { $0.nextCheck = now + settings.checkInterval }
        }
    }

    private func stopFetching(client: RDKafkaClient, now: ContinuousClock.Instant) {
        let partitions = client.currentAssignment()
        let seen = state.withLock { $0.seen }
        let positions = partitions.reduce(into: [KafkaTopicPartition: Int64]()) { $0[$1] = seen[$1] }
        guard !partitions.isEmpty, positions.count == partitions.count else {
            // Nothing to fetch, or not every partition fetched to its end yet: try again after
            // another idle period.
            state.withLock { $0.lastDelivery = now }
            return
        }
        client.setPaused(true, partitions)
        do {
            try client.seek(positions, timeout: Self.seekTimeout)
        } catch {
            logger.warning("fetching goes on: a paused partition could not be moved back to what was taken from it", metadata: ["error": "\(error)"])
            restartFetching(client: client, now: now, reason: "the seek failed")
            return
        }
        state.withLock { s in
            s.watched = positions
            s.nextCheck = now + settings.checkInterval
        }
        logger.debug("no message for a while: fetching stopped", metadata: ["partitions": "\(partitions.count)", "check": "\(settings.checkInterval)"])
    }

    private func restartFetching(client: RDKafkaClient, now: ContinuousClock.Instant, reason: String) {
        // The whole current assignment: partitions assigned while dormant may carry the pause too.
        let assignment = client.currentAssignment()
        client.setPaused(false, assignment)
        let resumed = state.withLock { s in
            defer { (s.watched, s.lastDelivery) = (nil, now) }
            return (s.watched ?? [:]).keys.reduce(into: [KafkaTopicPartition: Int64]()) { resumed, tp in
                if assignment.contains(tp), let seen = s.seen[tp] { resumed[tp] = seen }
            }
        }
        // librdkafka fetches a resumed partition only when its broker thread next looks, about a
        // second later (measured: resume → first fetch 0.95-1 s, with any fetch setting; a
        // second per hop after every quiet spell). A seek starts the fetch at once (1 ms): each
        // partition that stopped is moved to where it stopped, its seen position, which nothing
        // fetched since.
        do {
            try client.seek(resumed, timeout: Self.seekTimeout)
        } catch {
            logger.debug("fetching restarts at librdkafka's own pace: the seek failed", metadata: ["error": "\(error)"])
        }
        logger.debug("fetching restarted", metadata: ["reason": "\(reason)"])
    }
}
