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
///   offset; each batch, its offsets and its outgoing messages commit in one transaction.
///   Kafka-side commits are made afterwards only so lag is visible.
/// - A batch that throws is retried with back-off (``retryDelays``). If it still fails, its
///   messages are applied one at a time, each with the same retries; the one that keeps failing
///   is written to `deadletter.v1` with its bytes and the error (`PROCESSING_FAILED after N
///   attempts: <error>`), and the partition moves on. Nothing is lost and nothing crash-loops.
/// - Store errors that are about the environment (disk full, read-only, I/O) are never blamed
///   on a message: the engine reports itself unhealthy and retries until the store works again.
/// - On graceful shutdown it stops fetching, finishes the batch in hand, and leaves the group.
public final class ProcessingEngine: Service, Sendable {
    private let store: ServiceStore
    private let processor: any BatchProcessor
    private let configuration: KafkaConsumerConfiguration
    private let topics: [String]
    /// How the service's instances share the partitions.
    public let membership: ConsumerMembership
    /// Who publishes what messages of the owned topic cause (if any).
    private let ownership: PartitionOwnership?
    /// How partitions move between instances (group membership only).
    private let handover: PartitionHandover?
    private let deadLetterMessage: @Sendable (KafkaConsumerMessage, DeadLetterReason) -> KafkaProducerMessage
    private let relay: OutboxRelay?
    private let logger: Logger
    private let state = Mutex(EngineState())
    /// Pauses before retrying a failed batch; after the last one, the batch is split.
    public let retryDelays: [Duration]
    private let batchSize: Recorder
    private let applyTime: Metrics.Timer
    private let deadLettered: Counter
    private let messagesApplied: Counter
    /// Partitions whose stored offset was beyond the broker's end (the broker lost its log).
    private let offsetsBeyondEnd: Counter
    /// Wakes the loop that keeps an ``ConsumerMembership/everyPartition`` assignment.
    private let membershipChanged = WakeSignal()

    private struct EngineState {
        var consumer: KafkaConsumer?
        var storeFailing = false
        var offsetAnomalies = 0
        var readToEnd: Set<KafkaTopicPartition> = []
        /// Every partition of the topics: caught up means all of them, not only those assigned
        /// now (after a crash the group may still hold the dead member's share for a while).
        var allPartitions: Set<KafkaTopicPartition> = []
        var caughtUpOnce = false
        /// Whether the consumer has its (first) assignment: a group member that was given no
        /// partition has one too.
        var assigned = false
        /// Partitions read to their end since they were (last) assigned.
        var readToEndSinceAssigned: Set<KafkaTopicPartition> = []
        /// Where each partition started when it was (last) assigned.
        var started: [KafkaTopicPartition: Int64] = [:]
        /// Partitions an ``ConsumerMembership/everyPartition`` engine was told not to read.
        var excluded: Set<KafkaTopicPartition> = []
        /// Set at shutdown.
        var stopping = false
        /// The next offset of every partition applied so far (see ``recommitWhileIdle(_:)``).
        var applied: [KafkaTopicPartition: Int64] = [:]
    }
    /// Opened once every assigned partition has been read to its end (if given).
    private let caughtUp: CatchUpGate?
    /// Awaited before subscribing (if given).
    private let startsAfter: CatchUpGate?
    /// Learns the time from consumed messages' timestamps (if given).
    private let clock: TrustedClock?

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
    ///   - clock: Told the newest timestamp of every batch, before the batch is applied.
    ///   - membership: Whether the instances share the partitions in a group, or each reads all.
    ///   - ownership: What messages of its input topic cause is published by the partition's owner.
    ///   - handover: How assigned partitions are taken over (group membership only).
    public init(
        store: ServiceStore, processor: any BatchProcessor, consumer: KafkaConsumerConfiguration, topics: [String], membership: ConsumerMembership = .group,
        ownership: PartitionOwnership? = nil, handover: PartitionHandover? = nil,
        deadLetterMessage: @escaping @Sendable (KafkaConsumerMessage, DeadLetterReason) -> KafkaProducerMessage,
        relay: OutboxRelay?, retryDelays: [Duration] = [.milliseconds(100), .milliseconds(500), .seconds(2)],
        caughtUp: CatchUpGate? = nil, startsAfter: CatchUpGate? = nil, clock: TrustedClock? = nil,
        service: String, logger: Logger
    ) {
        self.clock = clock
        self.caughtUp = caughtUp
        self.startsAfter = startsAfter
        self.store = store
        self.processor = processor
        self.configuration = consumer
        self.topics = topics
        self.membership = membership
        self.ownership = ownership
        self.handover = membership == .group ? handover : nil
        self.deadLetterMessage = deadLetterMessage
        self.relay = relay
        self.retryDelays = retryDelays
        self.logger = logger
        batchSize = Recorder(label: "engine_batch_size_messages", dimensions: [("service", service)])
        applyTime = Metrics.Timer(label: "engine_batch_apply_seconds", dimensions: [("service", service)])
        deadLettered = Counter(label: "engine_dead_letters_total", dimensions: [("service", service)])
        messagesApplied = Counter(label: "engine_messages_total", dimensions: [("service", service)])
        offsetsBeyondEnd = Counter(label: "engine_offsets_beyond_end_total", dimensions: [("service", service)])
    }

    /// Whether the engine has caught up and its store accepts writes (for `/health/ready`): it has
    /// its assignment (possibly empty) and has read every partition of it to the end at least once
    /// since it was assigned. An instance that has just joined, or is restoring after a rebalance,
    /// is not ready yet: a load balancer sends it no lookups it would answer from behind.
    public var isReady: Bool {
        state.withLock { state in
            guard let consumer = state.consumer, state.assigned, !state.storeFailing else { return false }
            return !configuration.fetchesMessages || consumer.assignment.isSubset(of: state.readToEndSinceAssigned)
        }
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
                state.withLock { state in
                    state.assigned = true
                    state.readToEndSinceAssigned.subtract(partitions)
                    for (partition, start) in starts {
                        if case .offset(let offset) = start { state.started[partition] = offset } else { state.started[partition] = 0 }
                        state.applied[partition] = nil
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
        var following: Task<Void, Never>?
        switch membership {
        case .group: try consumer.subscribe(to: topics)
        case .everyPartition: following = Task { await self.followEveryPartition(consumer) }
        }
        defer { following?.cancel() }
        if caughtUp != nil {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                if let all = try? await consumer.partitions(of: topics), !all.isEmpty {
                    state.withLock { $0.allPartitions = all }
                    break
                }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        logger.info("consuming", metadata: ["topics": "\(topics.joined(separator: ","))", "group": "\(configuration.groupID)"])
        // With a handover, the group's offsets say what is published (or delivered), not applied.
        let recommitter = Task { handover == nil ? await self.recommitWhileIdle(consumer) : await self.rejoinWhenLost(consumer) }
        defer { recommitter.cancel() }
        await withGracefulShutdownHandler {
            var progress = (since: ContinuousClock.now, count: 0, total: 0)
            for await batch in consumer.batches {
                if !batch.messages.isEmpty {
                    if let clock = self.clock, let newest = batch.messages.lazy.compactMap(\.timestampMilliseconds).max() {
                        clock.observe(timestampMilliseconds: newest)
                    }
                    await self.applyWithRetry(batch.messages)
                    // Long catch-ups (a rebuild, a backlog) show progress every 10 s.
                    progress.count += batch.messages.count
                    progress.total += batch.messages.count
                    if ContinuousClock.now - progress.since >= .seconds(10) {
                        logger.info("applying", metadata: ["last10s": "\(progress.count)", "sinceStart": "\(progress.total)", "topics": "\(self.topics.joined(separator: ","))"])
                        progress.since = ContinuousClock.now
                        progress.count = 0
                    }
                    let next = Self.lastOffsets(batch.messages).mapValues { $0 + 1 }
                    self.state.withLock { state in state.applied.merge(next) { max($0, $1) } }
                    if self.handover == nil { try? consumer.commit(next) }
                }
                if !batch.endOffsets.isEmpty { await self.recordEnds(batch.endOffsets) }
                self.noteReadToEnd(batch.reachedEnd, assignment: consumer.assignment, applied: progress.total)
            }
        } onGracefulShutdown: {
            // A takeover waiting for the broker gives up, so the poll it runs in can end.
            self.state.withLock { $0.stopping = true }
            Task { await consumer.close() }
        }
        state.withLock { $0.stopping = true }
        await consumer.close()
        if handover?.acquiresOwnership == true, let ownership { ownership.release(ownership.owned) }
        state.withLock { $0.consumer = nil }  // the consumer's hooks refer back to the engine
        logger.info("stopped consuming")
    }

    /// The commits to the broker are asynchronous and only for showing lag; one lost while the
    /// broker or its group coordinator was away is not retried, and with no further messages the
    /// broker would show the partition behind for good (a service that applied its whole backlog
    /// during an outage: every commit of it failed). One retried by librdkafka after the broker
    /// returned may also land after a later one (a batch's offset after the end recorded past a
    /// transaction marker). So every 5 s the group's offsets of the partitions held are read from
    /// the broker, and those that differ from the applied ones are committed again, waiting for
    /// the broker's answer.
    private func recommitWhileIdle(_ consumer: KafkaConsumer) async {
        await repeatUntilShutdown {
            // Only partitions still held: another member's commits are not overwritten.
            let held = consumer.assignment
            let applied = self.state.withLock { state in state.applied.filter { held.contains($0.key) } }
            guard !applied.isEmpty, let committed = try? await offloaded({ try consumer.committedOffsets(Array(applied.keys), timeout: .seconds(5)) })
            else { return .seconds(5) }
            let differing = applied.filter { committed[$0.key] != $0.value }
            if !differing.isEmpty { try? await consumer.commitAndWait(differing) }
            return .seconds(5)
        }
    }

    /// Takes over assigned partitions (``PartitionHandover``): registers their producers (fencing
    /// the previous owner), has the service restore their state, and starts each at the group's
    /// committed offset, which becomes the stored one. Retries every second until it succeeds (the
    /// broker may be away) or the service stops; runs on the consumer's poll thread, inside the
    /// rebalance.
    private func takeOver(_ partitions: [KafkaTopicPartition], _ handover: PartitionHandover) throws -> [KafkaTopicPartition: KafkaStartOffset] {
        var attempt = 0
        while true {
            do {
                guard let consumer = state.withLock({ $0.consumer }) else { throw CancellationError() }
                let committed = try consumer.committedOffsets(partitions)
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
                // A member that only holds partitions applies nothing: its offsets are not stored.
                if configuration.fetchesMessages {
                    try store.pool.write { db in try ConsumerOffsets.reset(partitions, to: committed, in: db) }
                }
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
        let positions = state.withLock { $0.applied.filter { $0.value > 0 && held.contains($0.key) } }
        guard !positions.isEmpty else { return }
        let beyond = try await consumer.beyondEnd(positions)
        guard !beyond.isEmpty else { return }
        try await consumer.remove(beyond)
        state.withLock { state in for partition in beyond { state.applied[partition] = nil } }
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
            return state.applied[partition] ?? state.started[partition]
        }
    }

    /// The group's committed offsets of `partitions` (those without one are left out).
    public func committedOffsets(_ partitions: Set<KafkaTopicPartition>) throws -> [KafkaTopicPartition: Int64] {
        guard let consumer = state.withLock({ $0.consumer }) else { throw KafkaError(kind: .closed, message: "the engine is not running") }
        return try consumer.committedOffsets(Array(partitions))
    }

    /// Commits `offsets` to the group and waits for the coordinator's answer. It refuses a member
    /// that is no longer in the group (evicted after its session ran out), so a success also says
    /// that this instance still held its partitions when the commit was made.
    public func commitAndWait(_ offsets: [KafkaTopicPartition: Int64]) async throws {
        guard let consumer = state.withLock({ $0.consumer }) else { throw KafkaError(kind: .closed, message: "the engine is not running") }
        try await consumer.commitAndWait(offsets)
    }

    /// The end of `partition` on the broker now (its high watermark).
    public func endOffset(of partition: KafkaTopicPartition) async throws -> Int64 {
        guard let consumer = state.withLock({ $0.consumer }) else { throw KafkaError(kind: .closed, message: "the engine is not running") }
        return try await consumer.watermarks(of: partition).high
    }

    /// Logs (once) when every partition of the topics has been read to its end, and opens
    /// `caughtUp`.
    private func noteReadToEnd(_ partitions: [KafkaTopicPartition], assignment: Set<KafkaTopicPartition>, applied: Int) {
        guard !partitions.isEmpty else { return }
        state.withLock { $0.readToEndSinceAssigned.formUnion(partitions) }
        let firstTime = state.withLock { state -> Bool in
            guard !state.caughtUpOnce else { return false }
            state.readToEnd.formUnion(partitions)
            let expected = state.allPartitions.isEmpty ? assignment : state.allPartitions
            state.caughtUpOnce = !expected.isEmpty && expected.isSubset(of: state.readToEnd)
            return state.caughtUpOnce
        }
        guard firstTime else { return }
        logger.info("caught up: read \(topics.joined(separator: ",")) to the end", metadata: ["applied": "\(applied)"])
        caughtUp?.open()
    }

    // MARK: Applying

    private func applyWithRetry(_ messages: [KafkaConsumerMessage]) async {
        var attempt = 0
        var lastError: any Error
        while true {
            do {
                try await processor.prepare(messages)
                try await applyInTransaction(messages)
                return
            } catch where Task.isCancelled || Task.isShuttingDownGracefully {
                // Stopping while waiting: the batch is not applied, and is read again next time.
                return
            } catch where Self.isEnvironmental(error) {
                await waitForStore(error)
            } catch {
                lastError = error
                guard attempt < retryDelays.count else { break }
                logger.warning("batch failed; retrying", metadata: ["error": "\(error)", "attempt": "\(attempt + 1)", "messages": "\(messages.count)"])
                try? await Task.sleep(for: retryDelays[attempt])
                attempt += 1
            }
        }
        guard messages.count > 1 else {
            await deadLetterAlone(messages[0], error: lastError)
            return
        }
        // Isolate the culprit: one message per transaction, in order.
        logger.warning("batch keeps failing; applying its messages one at a time", metadata: ["messages": "\(messages.count)"])
        for message in messages {
            await applyWithRetry([message])
        }
    }

    private func applyInTransaction(_ messages: [KafkaConsumerMessage]) async throws {
        let started = ContinuousClock.now
        let processor = self.processor
        let deadLetterMessage = self.deadLetterMessage
        let ownedTopic = ownership?.inputTopic
        let (emitted, deadLetters) = try await store.write { db in
            var transaction = BatchTransaction(db: db, ownedTopic: ownedTopic)
            try processor.apply(messages, in: &transaction)
            for (message, reason) in transaction.deadLetters {
                try transaction.emit(deadLetterMessage(message, reason), causedBy: message)
            }
            try ConsumerOffsets.store(Self.lastOffsets(messages), in: db)
            return (transaction.emitted, transaction.deadLetters.count)
        }
        state.withLock { $0.storeFailing = false }
        processor.didCommit()
        applyTime.recordNanoseconds(Int64((ContinuousClock.now - started).nanoseconds))
        batchSize.record(messages.count)
        messagesApplied.increment(by: messages.count)
        if deadLetters > 0 {
            deadLettered.increment(by: deadLetters)
            logger.warning("dead-lettered undecodable messages", metadata: ["count": "\(deadLetters)"])
        }
        if emitted > 0 { relay?.wake() }
    }

    /// Records the ends a batch reached, where they lie beyond its last message (transaction
    /// markers take offsets and are never delivered): the stored offset then says the partition
    /// was read to its end, as the broker's watermark does.
    private func recordEnds(_ ends: [KafkaTopicPartition: Int64]) async {
        let beyond = state.withLock { state in ends.filter { $0.value > (state.applied[$0.key] ?? -1) } }
        guard !beyond.isEmpty else { return }
        do {
            try await store.write { db in try ConsumerOffsets.store(beyond.mapValues { $0 - 1 }, in: db) }
            state.withLock { state in state.applied.merge(beyond) { max($0, $1) } }
        } catch {
            // The next batch stores its own offsets; the end is recorded again at the next end.
        }
    }

    private func deadLetterAlone(_ message: KafkaConsumerMessage, error: any Error) async {
        let letter = deadLetterMessage(message, .processingFailed(attempts: retryDelays.count + 1, error: error))
        while true {
            do {
                let owned = message.topic == ownership?.inputTopic
                try await store.write { db in
                    try Outbox.append(letter, ownerPartition: owned ? message.topicPartition.partition : nil, sourceOffset: owned ? message.offset : nil, in: db)
                    try ConsumerOffsets.store([message.topicPartition: message.offset], in: db)
                }
                deadLettered.increment()
                logger.error("dead-lettered a message that kept failing", metadata: ["partition": "\(message.topicPartition)", "offset": "\(message.offset)"])
                relay?.wake()
                return
            } catch {
                await waitForStore(error)
            }
        }
    }

    private func waitForStore(_ error: any Error) async {
        let wasFailing = state.withLock { s -> Bool in
            defer { s.storeFailing = true }
            return s.storeFailing
        }
        if !wasFailing { logger.error("the store refuses writes; not ready until it recovers", metadata: ["error": "\(error)"]) }
        try? await Task.sleep(for: .seconds(1))
    }

    /// Store failures caused by the machine, not by a message.
    static func isEnvironmental(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return [.SQLITE_FULL, .SQLITE_READONLY, .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_PERM]
            .contains(error.resultCode)
    }

    static func lastOffsets(_ messages: [KafkaConsumerMessage]) -> [KafkaTopicPartition: Int64] {
        var last: [KafkaTopicPartition: Int64] = [:]
        for message in messages { last[message.topicPartition] = max(last[message.topicPartition] ?? -1, message.offset) }
        return last
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
