// The consumer: group membership, owner-supplied start offsets, batches as an AsyncSequence.

import Dispatch
import Logging
import Synchronization

/// A Kafka consumer in a group, for owners that keep their offsets in their own store.
///
/// On every assignment it asks ``KafkaRebalanceHooks/startOffsets`` where each partition starts,
/// checks each requested offset against the partition's watermarks, and seeks there. Messages
/// come out in batches (up to `maxBatchSize` within `maxBatchWait`) through ``batches`` or
/// ``poll()``; each batch is fetched only when the previous one was taken, so the owner sets the
/// pace. Offsets are committed to the broker only when the owner calls ``commit(_:)``.
public final class KafkaConsumer: Sendable {
    let client: RDKafkaClient
    private let configuration: KafkaConsumerConfiguration
    private let logger: Logger
    private let pollQueue: DispatchQueue
    private let coordinator: RebalanceCoordinator
    private let closed = Mutex(false)
    /// Stops fetching while nothing arrives (`nil` for a member that never fetches).
    private let dormancy: FetchDormancy?
    /// Where this member is in its group's rebalances (decides whether closing leaves the group).
    let membership = GroupMembershipPhase()

    /// How long a poll waits when it can only serve callbacks (no partition to fetch): a callback
    /// is served as soon as it comes, and only ``close()`` waits for the poll to end.
    private static let callbacksOnlyPollWait: Duration = .milliseconds(250)

    /// Events besides messages: assignments, revocations, offset anomalies and errors.
    public let events: AsyncStream<KafkaConsumerEvent>

    /// Creates a consumer; it joins the group when it is subscribed and polled.
    /// - Parameters:
    ///   - configuration: Group and batching settings.
    ///   - hooks: The owner's part in rebalances.
    ///   - logger: Receives librdkafka's log lines and the consumer's own reports.
    /// - Throws: ``KafkaError`` when the configuration is rejected or librdkafka is too old.
    public init(configuration: KafkaConsumerConfiguration, hooks: KafkaRebalanceHooks = KafkaRebalanceHooks(), logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        self.client = try RDKafkaClient(
            role: .consumer, properties: configuration.properties, logger: logger,
            statistics: KafkaStatisticsRecorder(client: configuration.client.clientID))
        self.pollQueue = DispatchQueue(label: "kafka-consumer-\(configuration.groupID)")
        let (stream, continuation) = AsyncStream<KafkaConsumerEvent>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        self.events = stream
        self.coordinator = RebalanceCoordinator(hooks: hooks, logger: logger, events: continuation)
        let dormancy = configuration.fetchesMessages ? configuration.dormancy.map { FetchDormancy(settings: $0, logger: logger) } : nil
        self.dormancy = dormancy
        client.setRebalanceHandlers(
            watermarkTimeout: configuration.watermarkQueryTimeout, pauseAssigned: !configuration.fetchesMessages,
            assign: { [coordinator, membership] partitions, watermarks in
                defer { membership.assigned() }
                dormancy?.assigned(partitions)
                return coordinator.assign(partitions, replacing: true, watermarks: watermarks)
            },
            revoke: { [coordinator, membership] partitions in
                dormancy?.revoked(partitions)
                coordinator.revoke(partitions, replacing: true)
                membership.revoked()
            }
        )
        client.context.setErrorHandler { [continuation] error, _ in continuation.yield(.error(error)) }
    }

    /// Subscribes to topics (replacing any earlier subscription).
    public func subscribe(to topics: [String]) throws {
        membership.subscribed()
        try client.subscribe(topics)
    }

    /// Leaves the group and joins it again (a rebalance: every partition is assigned anew).
    public func rejoin(_ topics: [String]) async throws {
        membership.subscribed()
        try await client.offload { client in
            try client.unsubscribe()
            try client.subscribe(topics)
        }
    }

    /// Whether the consumer has stopped fetching for lack of messages (see
    /// ``KafkaConsumerConfiguration/dormancy``); it starts again by itself.
    public var isFetchDormant: Bool { dormancy?.isDormant ?? false }

    /// Restarts fetching now if it has stopped for lack of messages, rather than at the next
    /// check: for an owner that learnt otherwise that its partitions hold new messages
    /// (``latestOffsets()``).
    public func wake() {
        guard let dormancy else { return }
        // Under the lock that close() takes first: once closing, no yield may reach the queue
        // that rd_kafka_consumer_close serves (a yield there ends its wait early).
        closed.withLock { closed in
            guard !closed, dormancy.isDormant else { return }
            dormancy.wake()
            client.interruptPoll()
        }
    }

    /// The latest offset of each assigned partition on the broker now (Kafka's end offset: the
    /// next offset to be written), in one request.
    public func latestOffsets(timeout: Duration = .seconds(5)) async throws -> [KafkaTopicPartition: Int64] {
        let partitions = assignment
        return try await client.offload { client in try client.latestOffsets(partitions, timeout: timeout) }
    }

    /// The partitions currently assigned to this consumer.
    public var assignment: Set<KafkaTopicPartition> { coordinator.assignment }

    /// Adds partitions to read without a group (every instance of a service reads them all, or a
    /// set the owner chooses). Each starts where ``KafkaRebalanceHooks/startOffsets`` says, checked
    /// against the partition's watermarks as on a group assignment; partitions already held are
    /// left as they are. Do not mix with ``subscribe(to:)``.
    public func add(_ partitions: Set<KafkaTopicPartition>) async throws {
        try await client.offload { [coordinator, configuration, dormancy] client in
            let new = partitions.subtracting(coordinator.assignment)
            guard !new.isEmpty else { return }
            let entries = coordinator.assign(Array(new), replacing: false) { requested in
                try client.assignmentWatermarks(requested, timeout: configuration.watermarkQueryTimeout)
            }
            dormancy?.assigned(new)
            try client.incrementalAssign(entries)
        }
    }

    /// Stops reading partitions added with ``add(_:)`` (the hooks' `revoked` is told first).
    public func remove(_ partitions: Set<KafkaTopicPartition>) async throws {
        try await client.offload { [coordinator, dormancy] client in
            let held = partitions.intersection(coordinator.assignment)
            guard !held.isEmpty else { return }
            coordinator.revoke(Array(held), replacing: false)
            dormancy?.revoked(held)
            try client.incrementalUnassign(Array(held))
        }
    }

    /// Waits for the next non-empty batch.
    ///
    /// - Returns: The batch, or `nil` once the consumer is closed or the task is cancelled.
    public func poll() async -> KafkaConsumerBatch? {
        let cancelled = Mutex(false)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                pollQueue.async { [self] in
                    while !closed.withLock({ $0 }) && !cancelled.withLock({ $0 }) {
                        let result = client.pollBatch(maxMessages: configuration.maxBatchSize, timeout: pollWait())
                        for (partition, error) in result.errors {
                            report(error, partition: partition)
                        }
                        let delivered = !result.messages.isEmpty || !result.reachedEnd.isEmpty
                        dormancy?.afterPoll(delivered: delivered ? result.deliveredPositions : [:], client: client)
                        if delivered {
                            continuation.resume(returning: KafkaConsumerBatch(messages: result.messages, reachedEnd: result.reachedEnd, endOffsets: result.endOffsets))
                            return
                        }
                    }
                    continuation.resume(returning: nil)
                }
            }
        } onCancel: {
            cancelled.withLock { $0 = true }
        }
    }

    /// How long the next poll waits for a first message.
    private func pollWait() -> Duration {
        guard configuration.fetchesMessages, coordinator.holdsPartitions else {
            return max(configuration.maxBatchWait, Self.callbacksOnlyPollWait)
        }
        return dormancy?.pollTimeout(active: configuration.maxBatchWait) ?? configuration.maxBatchWait
    }

    private func report(_ error: KafkaError, partition: KafkaTopicPartition?) {
        if error.name == .offsetOutOfRange, let partition {
            logger.error("offset out of range", metadata: ["partition": "\(partition)", "error": "\(error)"])
            coordinator.events.yield(.offsetOutOfRange(partition, error))
        } else {
            logger.warning("consumer error", metadata: ["error": "\(error)"])
            coordinator.events.yield(.error(error))
        }
    }

    /// The batches, as an `AsyncSequence` that ends when the consumer is closed.
    public var batches: Batches { Batches(consumer: self) }

    /// An `AsyncSequence` of non-empty batches.
    public struct Batches: AsyncSequence, Sendable {
        public typealias Element = KafkaConsumerBatch
        let consumer: KafkaConsumer

        public func makeAsyncIterator() -> Iterator { Iterator(consumer: consumer) }

        /// Pulls one batch per `next()`.
        public struct Iterator: AsyncIteratorProtocol {
            let consumer: KafkaConsumer
            public mutating func next() async -> KafkaConsumerBatch? { await consumer.poll() }
        }
    }

    /// Commits offsets to the broker (asynchronously, for lag visibility): each value is the next
    /// offset to read, i.e. the last processed offset + 1.
    public func commit(_ offsets: [KafkaTopicPartition: Int64]) throws {
        try client.commit(offsets.map { ($0.key, $0.value) })
    }

    /// Commits offsets to the broker and waits for its answer (see ``commit(_:)``).
    /// - Throws: ``KafkaError`` when the group coordinator refused or could not be reached.
    public func commitAndWait(_ offsets: [KafkaTopicPartition: Int64]) async throws {
        let entries = offsets.map { ($0.key, $0.value) }
        try await client.offload { try $0.commit(entries, waiting: true) }
    }

    /// Each partition's high watermark as the last fetch response reported it (librdkafka keeps
    /// it from every response; no request is made). Partitions without one yet are left out.
    public func fetchedHighWatermarks(_ partitions: some Sequence<KafkaTopicPartition>) -> [KafkaTopicPartition: Int64] {
        var marks: [KafkaTopicPartition: Int64] = [:]
        for partition in partitions { marks[partition] = client.lastFetchedHighWatermark(partition) }
        return marks
    }

    /// Asks the broker for a partition's watermarks.
    public func watermarks(of partition: KafkaTopicPartition, timeout: Duration = .seconds(5)) async throws -> KafkaWatermarks {
        try await client.offload { try $0.watermarks(partition, timeout: timeout) }
    }

    /// Of `positions` (each partition's next offset to read), the partitions whose position lies
    /// beyond their end on the broker: a broker that lost its log.
    public func beyondEnd(_ positions: [KafkaTopicPartition: Int64], timeout: Duration = .seconds(5)) async throws -> Set<KafkaTopicPartition> {
        try await client.offload { try $0.beyondEnd(positions, timeout: timeout) }
    }

    /// Every partition of `topics`, from the broker's metadata (not only those assigned here).
    public func partitions(of topics: [String], timeout: Duration = .seconds(5)) async throws -> Set<KafkaTopicPartition> {
        let wanted = Set(topics)
        let metadata = try await client.offload { try $0.metadata(timeout: timeout) }
        return Set(metadata.filter { wanted.contains($0.name) }.flatMap { topic in topic.partitions.map { KafkaTopicPartition(topic: topic.name, partition: $0) } })
    }

    /// Checks that a broker answers a metadata request within `timeout`.
    public func isBrokerReachable(timeout: Duration = .seconds(1)) async -> Bool {
        await client.isBrokerReachable(timeout: timeout)
    }

    /// Leaves the group (revoking every partition through the hooks) and ends ``batches`` and
    /// ``events``. Waits for a poll in progress to end first. Safe to call more than once.
    ///
    /// A member closed in the middle of a rebalance (its assignment not yet received) does not
    /// send LeaveGroup: the group drops it after its session timeout (see ``GroupMembershipPhase``).
    public func close() async {
        let wasClosed = closed.withLock { c -> Bool in
            defer { c = true }
            return c
        }
        guard !wasClosed else { return }
        // A dormant consumer's poll waits up to its check interval: end it now.
        client.interruptPoll()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            pollQueue.async { [client, coordinator, membership, logger] in
                if membership.leavesGroupOnClose {
                    client.closeConsumer()
                } else {
                    client.destroyWithoutLeavingGroup()
                    logger.info("closed in the middle of a rebalance: not leaving the group (it drops this member after its session timeout)")
                }
                coordinator.events.finish()
                continuation.resume()
            }
        }
    }
}

/// Runs the owner's hooks on assignment and revocation and keeps the current assignment.
private final class RebalanceCoordinator: Sendable {
    let hooks: KafkaRebalanceHooks
    let logger: Logger
    let events: AsyncStream<KafkaConsumerEvent>.Continuation
    private let current = Mutex<Set<KafkaTopicPartition>>([])

    init(hooks: KafkaRebalanceHooks, logger: Logger, events: AsyncStream<KafkaConsumerEvent>.Continuation) {
        self.hooks = hooks
        self.logger = logger
        self.events = events
    }

    var assignment: Set<KafkaTopicPartition> { current.withLock { $0 } }

    /// Whether any partition is assigned (without copying the set: asked before every poll).
    var holdsPartitions: Bool { current.withLock { !$0.isEmpty } }

    /// Start offsets of `partitions`; with `replacing`, they become the whole assignment (a group
    /// assignment), else they are added to it.
    func assign(
        _ partitions: [KafkaTopicPartition], replacing: Bool, watermarks: ([KafkaTopicPartition: Int64]) throws -> [KafkaTopicPartition: KafkaWatermarks]
    ) -> [(KafkaTopicPartition, Int64)] {
        let requested: [KafkaTopicPartition: KafkaStartOffset]
        do {
            requested = try hooks.startOffsets(partitions)
        } catch {
            let failure = KafkaError(kind: .consumer, message: "start offsets for \(partitions.count) partitions could not be read: \(error)")
            logger.error("partitions left unassigned", metadata: ["error": "\(failure)"])
            events.yield(.error(failure))
            return []
        }
        // Every stored start checked against the partition's end at once (see
        // ``RDKafkaClient/assignmentWatermarks(_:timeout:)``).
        var checked: [KafkaTopicPartition: Int64] = [:]
        for partition in partitions {
            if case .offset(let offset) = requested[partition] ?? .committed, offset > 0 { checked[partition] = offset }
        }
        var marks: [KafkaTopicPartition: KafkaWatermarks] = [:]
        if !checked.isEmpty {
            do {
                marks = try watermarks(checked)
            } catch {
                logger.warning("could not check the start offsets against the broker", metadata: ["partitions": "\(checked.count)", "error": "\(error)"])
                events.yield(.error(error as? KafkaError ?? KafkaError(kind: .consumer, message: "\(error)")))
            }
        }
        var starts: [KafkaTopicPartition: KafkaStartOffset] = [:]
        for partition in partitions.sorted() {
            var start = requested[partition] ?? .committed
            if let offset = checked[partition], let marks = marks[partition], offset > marks.high {
                let anomaly = KafkaOffsetBeyondEnd(partition: partition, requested: offset, watermarks: marks)
                start = hooks.offsetBeyondEnd(anomaly)
                logger.error(
                    "stored offset is beyond the end of the partition: the broker lost its log",
                    metadata: ["partition": "\(partition)", "stored": "\(offset)", "high": "\(marks.high)", "startingAt": "\(start)"])
                events.yield(.offsetBeyondEnd(anomaly))
            }
            starts[partition] = start
        }
        current.withLock { $0 = replacing ? Set(partitions) : $0.union(partitions) }
        events.yield(.assigned(starts))
        logger.info("partitions assigned", metadata: ["count": "\(partitions.count)"])
        return starts.map { ($0.key, RDKafkaTopicPartitionList.rawOffset($0.value)) }
    }

    func revoke(_ partitions: [KafkaTopicPartition], replacing: Bool) {
        hooks.revoked(partitions)
        current.withLock { $0 = replacing ? [] : $0.subtracting(partitions) }
        events.yield(.revoked(partitions))
        logger.info("partitions revoked", metadata: ["count": "\(partitions.count)"])
    }
}
