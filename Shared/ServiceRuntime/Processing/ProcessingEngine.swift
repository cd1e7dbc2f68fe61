// Consumes a service's input topics and applies batches exactly once.

import Foundation
import GRDB
import Kafka
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Drives a ``BatchProcessor`` from Kafka (docs/architecture.md §6).
///
/// - Offsets live in the service's store: on assignment every partition starts at its stored
///   offset (or, with a ``PartitionHandover``, at the group's committed one); each batch, its
///   offsets and its outgoing messages commit in one transaction (``BatchApplier``, which also
///   retries, splits and dead-letters a batch that keeps failing).
/// - Readiness and the first catch-up are tracked by a ``CatchUpTracker``; Kafka-side commits
///   are made only so lag is visible (``LagCommitter``).
/// - The consume loop and its helpers (the lag committer or the rejoin watch, and for
///   ``ConsumerMembership/everyPartition`` the assignment keeper) run as child tasks of ``run()``.
/// - On graceful shutdown it stops fetching, finishes the batch in hand, and leaves the group.
public final class ProcessingEngine: Service, Sendable {
    private let store: ServiceStore
    private let configuration: KafkaConsumerConfiguration
    private let topics: [String]
    /// How the service's instances share the partitions.
    public let membership: ConsumerMembership
    /// Who publishes what messages of the owned topic cause (if any).
    private let ownership: PartitionOwnership?
    /// How partitions move between instances (group membership only).
    private let handover: PartitionHandover?
    private let logger: Logger
    private let state = Mutex(EngineState())
    private let applier: BatchApplier
    private let catchUp: CatchUpTracker
    private let applied = AppliedOffsets()
    /// Partitions whose stored offset was beyond the broker's end (the broker lost its log).
    private let offsetsBeyondEnd: Counter
    /// Wakes the loop that keeps an ``ConsumerMembership/everyPartition`` assignment.
    private let membershipChanged = WakeSignal()
    /// Awaited before subscribing (if given).
    private let startsAfter: CatchUpGate?
    /// Brought up to date before each batch (if given).
    private let decidedAgainst: DecidingCopy?
    /// Learns the time from consumed messages' timestamps (if given).
    private let clock: TrustedClock?

    /// Pauses before retrying a failed batch; after the last one, the batch is split.
    public var retryDelays: [Duration] { applier.retryDelays }

    private struct EngineState {
        var consumer: KafkaConsumer?
        var offsetAnomalies = 0
        /// Whether the consumer has its (first) assignment: a group member that was given no
        /// partition has one too.
        var assigned = false
        /// Where each partition started when it was (last) assigned.
        var started: [KafkaTopicPartition: Int64] = [:]
        /// Partitions an ``ConsumerMembership/everyPartition`` engine was told not to read.
        var excluded: Set<KafkaTopicPartition> = []
        /// The offset of the last end each partition was read to (with everything before it
        /// applied) since it was (last) assigned.
        var ends: [KafkaTopicPartition: Int64] = [:]
        /// Set at shutdown.
        var stopping = false
    }

    /// Creates an engine.
    /// - Parameters:
    ///   - store: The service's store (offsets and outbox live there).
    ///   - processor: The service's logic.
    ///   - consumer: Group and batching settings.
    ///   - topics: The input topics (prefix applied).
    ///   - deadLetterMessage: Builds the `deadletter.v1` message for a poison message and reason.
    ///   - relay: Woken after each commit that emitted messages.
    ///   - caughtUp: Opened when this engine has read all its partitions to the end once.
    ///   - startsAfter: Another engine's `caughtUp`: this one subscribes only once it is open
    ///     (or after a minute, with a warning).
    ///   - decidedAgainst: The copy this engine's events are decided against, brought up to date
    ///     before each batch.
    ///   - clock: Told the newest timestamp of every batch, before the batch is applied.
    ///   - membership: Whether the instances share the partitions in a group, or each reads all.
    ///   - ownership: What messages of its input topic cause is published by the partition's owner.
    ///   - handover: How assigned partitions are taken over (group membership only).
    public init(
        store: ServiceStore, processor: any BatchProcessor, consumer: KafkaConsumerConfiguration, topics: [String], membership: ConsumerMembership = .group,
        ownership: PartitionOwnership? = nil, handover: PartitionHandover? = nil,
        deadLetterMessage: @escaping @Sendable (KafkaConsumerMessage, DeadLetterReason) -> KafkaProducerMessage,
        relay: OutboxRelay?, retryDelays: [Duration] = [.milliseconds(100), .milliseconds(500), .seconds(2)],
        caughtUp: CatchUpGate? = nil, startsAfter: CatchUpGate? = nil, decidedAgainst: DecidingCopy? = nil, clock: TrustedClock? = nil,
        service: String, logger: Logger
    ) {
        self.clock = clock
        self.startsAfter = startsAfter
        self.decidedAgainst = decidedAgainst
        self.store = store
        self.configuration = consumer
        self.topics = topics
        self.membership = membership
        self.ownership = ownership
        self.handover = membership == .group ? handover : nil
        self.logger = logger
        applier = BatchApplier(
            store: store, processor: processor, ownedTopic: ownership?.inputTopic, deadLetterMessage: deadLetterMessage, relay: relay,
            retryDelays: retryDelays, service: service, logger: logger)
        catchUp = CatchUpTracker(topics: topics, gate: caughtUp, logger: logger)
        offsetsBeyondEnd = Counter(label: "engine_offsets_beyond_end_total", dimensions: [("service", service)])
    }

    /// Whether the engine has caught up and its store accepts writes (for `/health/ready`): it has
    /// its assignment (possibly empty) and has read every partition of it to the end at least once
    /// since it was assigned. An instance that has just joined, or is restoring after a rebalance,
    /// is not ready yet: a load balancer sends it no lookups it would answer from behind.
    public var isReady: Bool {
        guard let consumer = state.withLock({ $0.assigned ? $0.consumer : nil }), !applier.storeFailing else { return false }
        return !configuration.fetchesMessages || catchUp.hasReadToEnd(consumer.assignment)
    }

    /// Times a stored offset was found beyond a partition's end (the broker lost its log).
    public var offsetAnomalies: Int { state.withLock { $0.offsetAnomalies } }

    public func run() async throws {
        let store = self.store
        let logger = self.logger
        let hooks = KafkaRebalanceHooks(
            startOffsets: { [self] partitions in
                let starts = try handover.map { try takeOver(partitions, $0) }
                    ?? store.pool.read { db in try ConsumerOffsets.startOffsets(for: partitions, in: db) }
                catchUp.assigned(partitions)
                applied.forget(partitions)
                state.withLock { state in
                    state.assigned = true
                    for partition in partitions { state.ends[partition] = nil }
                    for (partition, start) in starts {
                        if case .offset(let offset) = start { state.started[partition] = offset } else { state.started[partition] = 0 }
                    }
                }
                return starts
            },
            offsetBeyondEnd: { [self] anomaly in
                state.withLock { $0.offsetAnomalies += 1 }
                offsetsBeyondEnd.increment()
                logger.critical(
                    "the broker has fewer messages than this service already applied: it lost its log. Not reprocessing from zero; reading only new messages. See docs/operations.md, broker loss.",
                    metadata: ["partition": "\(anomaly.partition)", "stored": "\(anomaly.requested)", "high": "\(anomaly.watermarks.high)"])
                return .offset(anomaly.watermarks.high)
            },
            revoked: { [self] partitions in
                guard let handover else { return }
                if handover.acquiresOwnership, let ownership {
                    ownership.release(Set(partitions.filter { $0.topic == ownership.inputTopic }.map(\.partition)))
                }
                handover.keeper?.released(Set(partitions))
            })
        if let gate = startsAfter {
            logger.info("waiting for \(gate.name) to be read to its end before consuming", metadata: ["topics": "\(topics.joined(separator: ","))"])
            // Shutdown opens the gate so the wait ends; the engine then stops without consuming.
            let opened = await withGracefulShutdownHandler {
                await gate.wait(timeout: .seconds(60))
            } onGracefulShutdown: {
                gate.open()
            }
            if Task.isShuttingDownGracefully { return }
            if !opened { logger.warning("\(gate.name) did not report its end within a minute; consuming anyway") }
        }
        let consumer = try KafkaConsumer(configuration: configuration, hooks: hooks, logger: logger)
        state.withLock { $0.consumer = consumer }
        if handover?.acquiresOwnership == true { ownership?.bind(consumer) }
        if membership == .group { try consumer.subscribe(to: topics) }
        // With a handover, the group's offsets say what is published (or delivered), not applied.
        let lag = handover == nil ? LagCommitter(consumer: consumer, applied: applied) : nil
        await withDiscardingTaskGroup { group in
            if membership == .everyPartition { group.addTask { await self.followEveryPartition(consumer) } }
            await catchUp.learnAllPartitions(from: consumer)
            logger.info("consuming", metadata: ["topics": "\(topics.joined(separator: ","))", "group": "\(configuration.groupID)"])
            group.addTask {
                if let lag { await lag.run() } else { await self.rejoinWhenLost(consumer) }
            }
            await consume(consumer, lag: lag)
            group.cancelAll()
        }
        state.withLock { $0.stopping = true }
        await consumer.close()
        if handover?.acquiresOwnership == true, let ownership { ownership.release(ownership.owned) }
        state.withLock { $0.consumer = nil }  // the consumer's hooks refer back to the engine
        logger.info("stopped consuming")
    }

    /// Applies what the consumer reads until it is closed (at graceful shutdown).
    private func consume(_ consumer: KafkaConsumer, lag: LagCommitter?) async {
        await withGracefulShutdownHandler {
            var progress = (since: ContinuousClock.now, count: 0, total: 0)
            for await batch in consumer.batches {
                if !batch.messages.isEmpty {
                    if let clock, let newest = batch.messages.lazy.compactMap(\.timestampMilliseconds).max() {
                        clock.observe(timestampMilliseconds: newest)
                    }
                    await decidedAgainst?.catchUp()
                    await applier.apply(batch.messages)
                    // Long catch-ups (a rebuild, a backlog) show progress every 10 s.
                    progress.count += batch.messages.count
                    progress.total += batch.messages.count
                    if ContinuousClock.now - progress.since >= .seconds(10) {
                        logger.info("applying", metadata: ["last10s": "\(progress.count)", "sinceStart": "\(progress.total)", "topics": "\(topics.joined(separator: ","))"])
                        progress.since = ContinuousClock.now
                        progress.count = 0
                    }
                    let next = BatchApplier.lastOffsets(batch.messages).mapValues { $0 + 1 }
                    applied.advance(next)
                    lag?.batchApplied(next)
                    catchUp.applied(next, fetchedEnds: consumer.fetchedHighWatermarks, assignment: consumer.assignment, applied: progress.total)
                }
                if !batch.endOffsets.isEmpty {
                    await recordEnds(batch.endOffsets)
                    state.withLock { state in state.ends.merge(batch.endOffsets) { max($0, $1) } }
                }
                catchUp.reached(batch.reachedEnd, assignment: consumer.assignment, applied: progress.total)
            }
        } onGracefulShutdown: {
            // A takeover waiting for the broker gives up, so the poll it runs in can end.
            self.state.withLock { $0.stopping = true }
            Task { await consumer.close() }
        }
    }

    /// Records the ends a batch reached, where they lie beyond its last message (transaction
    /// markers take offsets and are never delivered): the stored offset then says the partition
    /// was read to its end, as the broker's watermark does.
    private func recordEnds(_ ends: [KafkaTopicPartition: Int64]) async {
        let beyond = applied.beyond(ends)
        guard !beyond.isEmpty else { return }
        do {
            try await applier.storeOffsets(beyond.mapValues { $0 - 1 })
            applied.advance(beyond)
        } catch {
            // The next batch stores its own offsets; the end is recorded again at the next end.
        }
    }

    /// Takes over assigned partitions (``PartitionHandover``): starts each at the group's committed
    /// offset, which becomes the stored one, registers their producers (fencing the previous
    /// owner) and has the service restore their state. Retries every second until it succeeds (the
    /// broker may be away) or the service stops; runs on the consumer's poll thread, inside the
    /// rebalance.
    private func takeOver(_ partitions: [KafkaTopicPartition], _ handover: PartitionHandover) throws -> [KafkaTopicPartition: KafkaStartOffset] {
        var attempt = 0
        while true {
            do {
                guard let consumer = state.withLock({ $0.consumer }) else { throw CancellationError() }
                let committed = try consumer.committedOffsets(partitions)
                // The stored offsets first: from the moment the partitions' producers are registered,
                // the relay commits the stored offset as where publishing got to (when nothing of the
                // partition waits in the outbox), and the one stored now may be this instance's own
                // from an earlier ownership, beyond decisions it took back when it lost the partition.
                // Committed, it would make the next owner skip those submissions (ScaleTests lost 29).
                // A member that only holds partitions applies nothing: its offsets are not stored.
                if configuration.fetchesMessages {
                    try store.pool.write { db in try ConsumerOffsets.reset(partitions, to: committed, in: db) }
                }
                if handover.acquiresOwnership, let ownership {
                    let topic = ownership.inputTopic
                    if ownership.partitionCount == nil {
                        let count = try runBlocking { try await consumer.partitions(of: [topic]).count }
                        if count > 0 { ownership.setPartitionCount(Int32(count)) }
                    }
                    let owned = partitions.filter { $0.topic == topic }
                    try ownership.acquire(
                        Set(owned.map(\.partition)),
                        committed: Dictionary(uniqueKeysWithValues: owned.compactMap { p in committed[p].map { (p.partition, $0) } }))
                }
                try handover.keeper?.restore(Set(partitions), committed: committed)
                if !partitions.isEmpty {
                    logger.info("took over partitions", metadata: ["partitions": "\(partitions.sorted().map(\.description).joined(separator: ","))"])
                }
                return Dictionary(uniqueKeysWithValues: partitions.map { ($0, committed[$0].map(KafkaStartOffset.offset) ?? .beginning) })
            } catch {
                attempt += 1
                // Until it works: partitions left unassigned would stay so until the next rebalance.
                // (A hook that blocks past max.poll.interval.ms makes the group move them.)
                if state.withLock({ $0.consumer == nil || $0.stopping }) { throw error }
                if attempt == 1 || attempt % 10 == 0 {
                    logger.warning("could not take over partitions yet; retrying", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
                }
                Thread.sleep(forTimeInterval: 1)
            }
        }
    }

    /// Rejoins the group when a partition's producer was fenced or failed (see
    /// ``PartitionOwnership/lost(_:error:)``), so the group assigns it again.
    private func rejoinWhenLost(_ consumer: KafkaConsumer) async {
        await repeatUntilShutdown {
            guard let ownership = self.ownership, ownership.rejoinRequested else { return .seconds(1) }
            ownership.rejoining()
            self.logger.warning("rejoining the group to take partitions over again")
            try? await consumer.rejoin(self.topics)
            return .seconds(1)
        }
    }

    /// Holds every partition of the topics (``ConsumerMembership/everyPartition``): at start, and
    /// every 10 s those added since (a topic created or grown while the service runs).
    private func followEveryPartition(_ consumer: KafkaConsumer) async {
        var reported = false
        var all: Set<KafkaTopicPartition> = []
        var lastLookup = ContinuousClock.now - .seconds(60)
        var lastEndCheck = ContinuousClock.now
        while !Task.isCancelled {
            var holdsAll = false
            do {
                if all.isEmpty || ContinuousClock.now - lastLookup >= .seconds(10) {
                    all = try await consumer.partitions(of: topics)
                    lastLookup = .now
                }
                let wanted = all.subtracting(state.withLock { $0.excluded })
                try await consumer.remove(consumer.assignment.subtracting(wanted))
                if !wanted.isEmpty { try await consumer.add(wanted) }
                holdsAll = !all.isEmpty && consumer.assignment == wanted
                if holdsAll, ContinuousClock.now - lastEndCheck >= .seconds(10) {
                    lastEndCheck = .now
                    try await reassignBeyondEnd(consumer)
                }
            } catch {
                if !reported { logger.warning("could not read the partitions of the topics; retrying", metadata: ["error": "\(error)"]) }
                reported = true
            }
            await membershipChanged.wait(timeout: holdsAll ? .seconds(10) : .milliseconds(500))
        }
    }

    /// A consumer without a group is never assigned its partitions again, which is where a group
    /// member notices a broker that lost its log (a stored offset beyond a partition's end: Tansu
    /// answers a fetch there with nothing, not `OFFSET_OUT_OF_RANGE`). So every 10 s it compares
    /// where it is with the partitions' ends, and assigns a partition that lies beyond its end
    /// again, which reports the loss and goes on from the end, as on a group assignment.
    private func reassignBeyondEnd(_ consumer: KafkaConsumer) async throws {
        let held = consumer.assignment
        let positions = applied.of(held).filter { $0.value > 0 }
        guard !positions.isEmpty else { return }
        let beyond = try await consumer.beyondEnd(positions)
        guard !beyond.isEmpty else { return }
        try await consumer.remove(beyond)
        applied.forget(beyond)
        try await consumer.add(beyond)
    }

    // MARK: Partitions chosen by the service (replicas)

    /// Stops reading `partitions` (of an ``ConsumerMembership/everyPartition`` engine) until
    /// ``follow(_:)``; returns once they are no longer assigned. A batch already taken may still
    /// be applied after.
    public func unfollow(_ partitions: Set<KafkaTopicPartition>, timeout: Duration = .seconds(30)) async throws {
        state.withLock { $0.excluded.formUnion(partitions) }
        try await awaitMembership(timeout: timeout) { $0.isDisjoint(with: partitions) }
    }

    /// Reads `partitions` again (from their stored offsets); returns once they are assigned.
    public func follow(_ partitions: Set<KafkaTopicPartition>, timeout: Duration = .seconds(30)) async throws {
        state.withLock { $0.excluded.subtract(partitions) }
        try await awaitMembership(timeout: timeout) { partitions.isSubset(of: $0) }
    }

    private func awaitMembership(timeout: Duration, until done: @escaping @Sendable (Set<KafkaTopicPartition>) -> Bool) async throws {
        membershipChanged.signal()
        let deadline = ContinuousClock.now + timeout
        while true {
            if let consumer = state.withLock({ $0.consumer }), done(consumer.assignment) { return }
            guard ContinuousClock.now < deadline else { throw KafkaError(kind: .timedOut, message: "the replica's partitions did not change within \(timeout)") }
            try await Task.sleep(for: .milliseconds(20))
            membershipChanged.signal()
        }
    }

    /// The next offset this engine will apply of `partition` (where it started, or after its
    /// last applied message), if it reads it.
    public func position(of partition: KafkaTopicPartition) -> Int64? {
        state.withLock { state in
            guard state.consumer?.assignment.contains(partition) == true else { return nil }
            return applied.next(of: partition) ?? state.started[partition]
        }
    }

    /// The group's committed offsets of `partitions` (those without one are left out).
    public func committedOffsets(_ partitions: Set<KafkaTopicPartition>) throws -> [KafkaTopicPartition: Int64] {
        try runningConsumer().committedOffsets(Array(partitions))
    }

    /// Commits `offsets` to the group and waits for the coordinator's answer. It refuses a member
    /// that is no longer in the group (evicted after its session ran out), so a success also says
    /// that this instance still held its partitions when the commit was made.
    public func commitAndWait(_ offsets: [KafkaTopicPartition: Int64]) async throws {
        try await runningConsumer().commitAndWait(offsets)
    }

    /// The consumer, while the engine runs.
    private func runningConsumer() throws -> KafkaConsumer {
        guard let consumer = state.withLock({ $0.consumer }) else { throw KafkaError(kind: .closed, message: "the engine is not running") }
        return consumer
    }

    /// Whether the engine's consumer has stopped fetching for lack of messages (fetch dormancy).
    public var isFetchDormant: Bool { state.withLock { $0.consumer }?.isFetchDormant ?? false }

    /// The latest offset of each partition the engine reads, on the broker now (one request).
    public func latestOffsets(timeout: Duration = .seconds(5)) async throws -> [KafkaTopicPartition: Int64] {
        try await runningConsumer().latestOffsets(timeout: timeout)
    }

    /// The offset of the last end of `partition` the engine read to, everything before it
    /// applied, since the partition was assigned (`nil`: none yet).
    public func endReached(of partition: KafkaTopicPartition) -> Int64? {
        state.withLock { $0.ends[partition] }
    }

    /// The high watermark of `partition` as the consumer's last fetch of it reported.
    public func fetchedHighWatermark(of partition: KafkaTopicPartition) -> Int64? {
        state.withLock { $0.consumer }?.fetchedHighWatermarks([partition])[partition]
    }

    /// Restarts fetching now if the consumer stopped for lack of messages.
    public func wake() {
        state.withLock { $0.consumer }?.wake()
    }

    /// The end of `partition` on the broker now (its high watermark).
    public func endOffset(of partition: KafkaTopicPartition) async throws -> Int64 {
        try await runningConsumer().watermarks(of: partition).high
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
