// Sends outbox rows to Kafka in order and deletes them once acknowledged.

import Foundation
import GRDB
import Kafka
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Drains a store's outbox through an idempotent producer (docs/architecture.md §6).
///
/// Rows go out in id order, a batch at a time; a row is deleted only after its delivery report
/// succeeded. While the broker is away, sends fail or time out and the relay backs off (up to
/// ``maximumBackoff``) and tries again, so rows wait in the outbox, never lost. A crash between
/// delivery and deletion re-sends a row with the same bytes (same CloudEvent id); consumers
/// dedupe. On graceful shutdown it keeps draining for at most ``shutdownDrainTimeout``.
///
/// With a ``PartitionOwnership``, rows a consumed message caused are published only for the
/// partitions this instance owns, each partition's in transactions of its own fenced producer;
/// the group's offset is committed up to where each partition is published (``keepPositions()``). Rows of partitions
/// another instance owns wait (intake takes them back when it learns it lost the partition) or,
/// where every instance computes them (address-index), are dropped once their owner published them.
public final class OutboxRelay: Service, Sendable {
    private let store: ServiceStore
    private let producer: KafkaProducer
    private let ownershipBox: Mutex<PartitionOwnership?>
    private var ownership: PartitionOwnership? { ownershipBox.withLock { $0 } }
    /// How long rows without a source offset of a partition another instance owns are kept.
    static let unpositionedRetention: TimeInterval = 3_600
    private let logger: Logger
    private let batchSize: Int
    /// Longest pause between attempts while the broker is unreachable.
    public let maximumBackoff: Duration
    /// How long shutdown keeps draining.
    public let shutdownDrainTimeout: Duration
    private let wakeups = WakeSignal()
    private let depthGauge: Gauge
    private let ageGauge: Gauge
    private let sentCounter: Counter
    private let failedCounter: Counter

    /// Creates a relay.
    /// - Parameters:
    ///   - store: The store whose outbox it drains.
    ///   - producer: An idempotent producer.
    ///   - service: The service name, for metric labels.
    ///   - batchSize: Rows per send.
    ///   - ownership: Who publishes rows that consumed messages caused (`nil`: this instance, all).
    public init(
        store: ServiceStore, producer: KafkaProducer, service: String, batchSize: Int = 2_000,
        maximumBackoff: Duration = .seconds(5), shutdownDrainTimeout: Duration = .seconds(10), ownership: PartitionOwnership? = nil, logger: Logger
    ) {
        self.store = store
        self.producer = producer
        self.ownershipBox = Mutex(ownership)
        self.logger = logger
        self.batchSize = batchSize
        self.maximumBackoff = maximumBackoff
        self.shutdownDrainTimeout = shutdownDrainTimeout
        depthGauge = Gauge(label: "outbox_pending_events", dimensions: [("service", service)])
        ageGauge = Gauge(label: "outbox_oldest_age_seconds", dimensions: [("service", service)])
        sentCounter = Counter(label: "outbox_sent_total", dimensions: [("service", service)])
        failedCounter = Counter(label: "outbox_send_failures_total", dimensions: [("service", service)])
    }

    /// Publishes rows that consumed messages caused according to `ownership` (set once, while the
    /// service is assembled).
    public func follow(_ ownership: PartitionOwnership) {
        ownershipBox.withLock { $0 = ownership }
    }

    /// Tells the relay that new rows were committed (it also looks every second by itself).
    public func wake() {
        wakeups.signal()
    }

    /// Relays until graceful shutdown, then drains for a bounded time.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var backoff = Duration.milliseconds(100)
            var lastUpkeep = ContinuousClock.now
            var sentSinceUpkeep = false
            while !Task.isCancelled {
                var sent = 0
                var failed = false
                do {
                    sent = try await self.relayOnce()
                    backoff = .milliseconds(100)
                    sentSinceUpkeep = sentSinceUpkeep || sent > 0
                } catch {
                    failed = true
                    self.failedCounter.increment()
                    self.logger.warning("outbox relay: sending failed; will retry", metadata: ["error": "\(error)", "retryIn": "\(backoff)"])
                }
                // Every 5 s, also while some rows fail (the others' positions move on), and (at
                // most once a second) as soon as the outbox is empty after sending: where
                // publishing got to is committed without waiting.
                let sinceUpkeep = ContinuousClock.now - lastUpkeep
                if sinceUpkeep >= .seconds(5) || (sent == 0 && !failed && sentSinceUpkeep && sinceUpkeep >= .seconds(1)) {
                    lastUpkeep = .now
                    sentSinceUpkeep = false
                    do {
                        try await self.keepPositions()
                    } catch {
                        self.logger.warning("outbox relay: could not commit where publishing got to; will retry", metadata: ["error": "\(error)"])
                    }
                }
                if failed {
                    try? await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, self.maximumBackoff)
                } else if sent == 0 {
                    await self.wakeups.wait(timeout: .seconds(1))
                }
            }
        }
        let deadline = ContinuousClock.now + shutdownDrainTimeout
        while ContinuousClock.now < deadline, let sent = try? await relayOnce(), sent > 0 {}
        let left = (try? await store.read { try Outbox.depth(in: $0).count }) ?? -1
        if left != 0 { logger.warning("outbox relay stopped with rows left; they go out at the next start", metadata: ["rows": "\(left)"]) }
    }

    /// Sends the oldest batch; returns how many rows were delivered and deleted.
    /// - Throws: The first delivery failure, after deleting the rows that were delivered.
    @discardableResult
    public func relayOnce() async throws -> Int {
        let size = batchSize
        let publishers = ownership?.publishers ?? [:]
        let owned = Set(publishers.keys)
        let rows = try await store.read { db in
            self.ownership == nil ? try Outbox.oldest(size, in: db) : try Outbox.oldest(size, owned: owned, in: db)
        }
        guard !rows.isEmpty else {
            depthGauge.record(0)
            ageGauge.record(0)
            return 0
        }
        let own = rows.filter { $0.ownerPartition == nil }
        let byPartition = Dictionary(grouping: rows.filter { $0.ownerPartition != nil }, by: { $0.ownerPartition! })
        // Each owned partition in its own transaction, beside this instance's own rows.
        let outcomes = await withTaskGroup(of: Sent.self) { group in
            group.addTask { await self.deliver(own) }
            for (partition, partitionRows) in byPartition {
                guard let publisher = publishers[partition] else { continue }
                group.addTask { await self.publish(partitionRows, of: partition, through: publisher) }
            }
            var all: [Sent] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        let ids = outcomes.flatMap(\.ids).sorted()
        let ownership = self.ownership
        let recorded = outcomes.reduce(into: [KafkaTopicPartition: Int64]()) { all, sent in
            guard let partition = sent.partition, ownership?.owned.contains(partition) == true else { return }
            all.merge(sent.readBack) { max($0, $1) }
        }
        let depth = try await store.write { db in
            try Outbox.delete(ids: ids, in: db)
            // This instance's replica of those topics need not read its own messages back.
            try ConsumerOffsets.store(recorded.mapValues { $0 - 1 }, in: db)
            return try Outbox.depth(in: db)
        }
        sentCounter.increment(by: ids.count)
        depthGauge.record(depth.count)
        ageGauge.record(depth.oldestAge)
        if let firstFailure = outcomes.compactMap(\.failure).first { throw firstFailure }
        return ids.count
    }

    /// What one send did: the rows to delete, its first failure, and for a partition's
    /// transaction, where its messages on ``PartitionOwnership/readBackTopics`` ended.
    private struct Sent: Sendable {
        var ids: [Int64] = []
        var failure: KafkaError?
        var partition: Int32?
        var readBack: [KafkaTopicPartition: Int64] = [:]
    }

    /// Sends this instance's own rows; returns the ids delivered and the first failure.
    private func deliver(_ rows: [OutboxMessage]) async -> Sent {
        guard !rows.isEmpty else { return Sent() }
        let results = await producer.deliver(rows.map(\.message))
        var delivered: [Int64] = []
        var firstFailure: KafkaError?
        for (row, result) in zip(rows, results) {
            switch result {
            case .success: delivered.append(row.id)
            case .failure(let error): firstFailure = firstFailure ?? error
            }
        }
        return Sent(ids: delivered, failure: firstFailure)
    }

    /// Publishes a partition's rows in one transaction of its fenced producer. Rows an earlier
    /// owner published already (caused before its committed offset) are only deleted. Where the
    /// partition is published to is committed by ``keepPositions()``.
    /// - Returns: The ids to delete (all of them, or none if the transaction failed).
    private func publish(_ rows: [OutboxMessage], of partition: Int32, through publisher: PartitionOwnership.Publisher) async -> Sent {
        guard let ownership else { return Sent() }
        let from = publisher.publishedBefore ?? 0
        let waiting = rows.filter { row in row.sourceOffset.map { $0 >= from } ?? true }
        do {
            var readBack: [KafkaTopicPartition: Int64] = [:]
            if !waiting.isEmpty {
                let reports = try await publisher.producer.publishInTransaction(waiting.map(\.message))
                for report in reports where ownership.readBackTopics.contains(report.partition.topic) {
                    readBack[report.partition] = max(readBack[report.partition] ?? 0, report.offset + 1)
                }
            }
            return Sent(ids: rows.map(\.id), partition: partition, readBack: readBack)
        } catch let error as KafkaError {
            if error.isFatal { ownership.lost(partition, producer: publisher.producer, error: error) }
            return Sent(failure: error)
        } catch {
            return Sent(failure: KafkaError(kind: .delivery, message: "\(error)"))
        }
    }

    /// Commits, for each owned partition, the offset before which everything its
    /// messages caused is published (rows still waiting hold it back), as the group's member, so
    /// the next owner starts there; and, where every instance computes every partition's rows,
    /// drops those another instance has published.
    ///
    /// Not after each transaction (a synchronous commit per partition per batch, each of which
    /// may meet a rebalance), nor in it (`send_offsets_to_transaction`: see
    /// ``KafkaProducer/publishInTransaction(_:timeout:)``). A crash between a transaction and the
    /// next commit makes the next owner publish those rows again, with the same bytes.
    private func keepPositions() async throws {
        guard let ownership else { return }
        let publishers = ownership.publishers
        let committed = try await ownership.committed(Set(publishers.keys).union(ownership.everyInstanceComputes ? Set(0..<(ownership.partitionCount ?? 0)) : []))
        var positions: [Int32: Int64] = [:]
        for (partition, publisher) in publishers {
            let position = try await store.read { db in
                try Outbox.publishedPosition(of: partition, appliedTopic: ownership.inputTopic, in: db)
            }
            // The owner's position is what is published: committed anew when it moved, also below
            // a committed offset that a lost log left (after this instance found its own position
            // beyond the new end, and went on from there).
            guard let position, position >= (publisher.publishedBefore ?? 0), position != committed[partition] else { continue }
            // Still this instance's, read after the store was: a partition is released before
            // intake takes back its unpublished rows, so the position read did not pass them.
            guard ownership.publisher(for: partition)?.producer === publisher.producer else { continue }
            positions[partition] = position
        }
        // A position beyond the partition's end was reached in a log the broker lost: this
        // instance has not found out yet, and its position says nothing about this log.
        let beyond = try await ownership.beyondEnd(positions)
        // The coordinator refuses the commit from an instance that is no longer a member.
        try await ownership.commit(positions.filter { !beyond.contains($0.key) })
        guard ownership.everyInstanceComputes else { return }
        let before = Date().addingTimeInterval(-Self.unpositionedRetention)
        let others = Set(committed.keys).subtracting(publishers.keys)
        let dropped = try await store.write { db in
            try others.reduce(0) { sum, partition in
                sum + (try Outbox.dropPublished(of: partition, publishedBefore: committed[partition]!, unpositionedBefore: before, in: db))
            }
        }
        if dropped > 0 { logger.debug("dropped rows other instances published", metadata: ["rows": "\(dropped)"]) }
    }
}
