// The audit's log: the order on the internal topic, applied to the records this instance read.

import Foundation
import GRDB
import Kafka
import Logging
import Metrics
import ServiceLifecycle
import ServiceRuntime
import Synchronization

/// Appends to this instance's log what the frames of `audit.log.v1` name, in the topic's order:
/// each run's records (built by this instance's ``AuditedReader`` from the audited partitions)
/// become leaves, and checkpoints are signed where the stream says (every
/// ``CheckpointSigner/everyRecords`` records, decided at frame boundaries, and at each checkpoint
/// request). Every instance reads the same stream and the same messages and decides the same, so
/// all hold the same tree and sign the same checkpoints, byte for byte (Ed25519 signatures are
/// deterministic): a failover keeps every proof and checkpoint.
///
/// The stored offsets of the audited partitions say how far the log holds each one; they commit
/// with the leaves, and a run is applied from there (``AuditLogRun/newParts(of:next:)``).
///
/// A run names what it leaves out, so this instance appends exactly what the sequencing one
/// read: records it read that the run leaves out are not appended (counted and logged), and
/// records the run names that its reader passed without reading (a broker that skipped a batch
/// in a fetch) are read again with `refetch` before the frame is applied, as often as it takes.
final class LogApplier: BatchProcessor {
    /// Reads the records of some runs again (``RecordRefetcher``).
    typealias Refetch = @Sendable ([AuditLogRun]) async throws -> [CanonicalRecord]

    let signer: CheckpointSigner
    let pending: PendingRecords
    let store: ServiceStore
    let refetch: Refetch?
    let logger: Logger
    /// Where the last batch left the log, for ``didCommit()``.
    private let lastBatch = Mutex<[KafkaTopicPartition: Int64]>([:])
    private let recordsReadAgain = Counter(label: "audit_records_read_again_total")
    private let notInOrder = Counter(label: "audit_records_left_out_total")

    init(signer: CheckpointSigner, pending: PendingRecords, store: ServiceStore, refetch: Refetch? = nil, logger: Logger = Logger(label: "audit")) {
        (self.signer, self.pending, self.store, self.refetch, self.logger) = (signer, pending, store, refetch, logger)
    }

    func prepare(_ messages: [KafkaConsumerMessage]) async throws {
        let frames = messages.compactMap { try? AuditLogFrame(decoding: $0.value ?? []) }
        let named = Self.partitions(named: frames)
        guard !named.isEmpty else { return }
        var next = try await store.pool.read { db in try Self.storedNext(of: named, in: db) }
        var needed: [AuditLogRun] = []
        for case .order(let runs) in frames { needed += AuditLogRun.newParts(of: runs, next: &next) }
        try await pending.waitFor(needed)
        try await readAgain(pending.missing(in: needed), of: needed)
    }

    /// Reads `missing` again until the reader holds every record `runs` name (or the service stops).
    private func readAgain(_ missing: [AuditLogRun], of runs: [AuditLogRun]) async throws {
        var missing = missing
        while let refetch, !missing.isEmpty {
            if Task.isCancelled || Task.isShuttingDownGracefully { throw CancellationError() }
            logger.warning(
                "the log's order names records this instance's reader passed without reading (the broker skipped them in a fetch): reading them again",
                metadata: ["runs": "\(missing.map { "\($0.topic)/\($0.partition) \($0.from)...\($0.through)" })"])
            do {
                let records = try await refetch(missing)
                recordsReadAgain.increment(by: records.count)
                pending.insert(records)
            } catch {
                logger.warning("could not read the records again; trying again in a second", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .seconds(1))
            }
            missing = pending.missing(in: runs)
        }
    }

    func apply(_ messages: [KafkaConsumerMessage], in transaction: inout BatchTransaction) throws {
        let db = transaction.db
        var frontier = try StoredTree(db).frontier()
        let ledger = AuditLedger(db)
        var frames: [(KafkaConsumerMessage, AuditLogFrame)] = []
        for message in messages {
            do {
                frames.append((message, try AuditLogFrame(decoding: message.value ?? [])))
            } catch {
                transaction.deadLetter(message, reason: .malformed("\(error)"))
            }
        }
        var next = try Self.storedNext(of: Self.partitions(named: frames.map(\.1)), in: db)
        for (_, frame) in frames {
            switch frame {
            case .order(let runs):
                for part in AuditLogRun.newParts(of: runs, next: &next) {
                    let (records, heldLeftOut) = try pending.records(of: part)
                    if heldLeftOut > 0 {
                        notInOrder.increment(by: heldLeftOut)
                        logger.warning(
                            "the log leaves out records this instance read: the sequencing instance did not read them (the broker skipped them in its fetch)",
                            metadata: ["partition": "\(part.topic)/\(part.partition)", "from": "\(part.from)", "through": "\(part.through)", "records": "\(heldLeftOut)"])
                    }
                    try ledger.append(records, to: &frontier)
                    try ConsumerOffsets.advance([part.topicPartition: part.through], in: db)
                }
                try signer.checkpointIfDue(db, frontier: frontier, force: false) { try transaction.emit($0) }
            case .checkpointRequest:
                try signer.checkpointIfDue(db, frontier: frontier, force: true) { try transaction.emit($0) }
            }
        }
        lastBatch.withLock { $0 = next }
    }

    func didCommit() {
        pending.stored(lastBatch.withLock { $0 })
    }

    /// The audited partitions that `frames` name.
    static func partitions(named frames: [AuditLogFrame]) -> Set<KafkaTopicPartition> {
        var named: Set<KafkaTopicPartition> = []
        for case .order(let runs) in frames { named.formUnion(runs.map(\.topicPartition)) }
        return named
    }

    /// The next offset the log lacks of each of `partitions` that it holds any of.
    static func storedNext(of partitions: Set<KafkaTopicPartition>, in db: Database) throws -> [KafkaTopicPartition: Int64] {
        try ConsumerOffsets.startOffsets(for: Array(partitions), in: db).compactMapValues { start in
            if case .offset(let next) = start { return next }
            return nil
        }
    }
}
