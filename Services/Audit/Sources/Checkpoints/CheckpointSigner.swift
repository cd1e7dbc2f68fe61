// Signs checkpoints of the tree every N records or T seconds and queues them for publication.

import Crypto
import Foundation
import GRDB
import Kafka
import Logging
import RegistrySchema
import ServiceLifecycle
import ServiceRuntime

/// A checkpoint as the audit keeps it.
public struct Checkpoint: Hashable, Sendable {
    /// Leaves the tree had.
    public let size: Int
    /// Its head.
    public let root: Data
    /// The signed note (C2SP checkpoint).
    public let note: String
    /// When it was signed (RFC 3339; not part of the signed text).
    public let at: String
}

/// Signs checkpoints with the audit's Ed25519 key and puts each on `audit.checkpoints.v1`
/// through the outbox, in the transaction that records it (docs/architecture.md §6.1).
public struct CheckpointSigner: Sendable {
    let key: Curve25519.Signing.PrivateKey
    /// The log's name (`AUDIT_LOG_ORIGIN`): the first line of every checkpoint and the key's name.
    public let origin: String
    /// Records between checkpoints.
    public let everyRecords: Int
    /// `audit.checkpoints.v1` with the environment's prefix.
    let topic: String

    /// A signer.
    /// - Throws: ``SignedNoteError/badKeyName(_:)`` when `origin` cannot name a note key.
    public init(key: Curve25519.Signing.PrivateKey, origin: String, everyRecords: Int, topic: String) throws {
        self.key = key
        self.origin = origin
        self.everyRecords = everyRecords
        self.topic = topic
        _ = try NoteVerifierKey(name: origin, publicKey: key.publicKey)
    }

    /// The verifier key of the checkpoints, in the C2SP text form.
    public var verifier: NoteVerifierKey {
        // The name was checked in init.
        try! NoteVerifierKey(name: origin, publicKey: key.publicKey)
    }

    /// Signs a checkpoint of the tree as `frontier` describes it when it has grown since the last
    /// one and `force` or at least ``everyRecords`` records were added, in the caller's
    /// transaction, and queues its event in the outbox of that transaction.
    /// - Parameter publish: Appends the checkpoint's event to the outbox (in `db`'s transaction).
    /// - Returns: The checkpoint made, if any.
    @discardableResult
    public func checkpointIfDue(
        _ db: Database, frontier: TreeFrontier, force: Bool, now: Date = Date(),
        publish: (KafkaProducerMessage) throws -> Void
    ) throws -> Checkpoint? {
        let ledger = AuditLedger(db)
        let last = try ledger.lastCheckpointSize()
        guard frontier.size > last, force || frontier.size - last >= everyRecords else { return nil }
        let body = CheckpointNote(origin: origin, size: frontier.size, root: frontier.root)
        let checkpoint = Checkpoint(
            size: body.size, root: body.root, note: try SignedNote.sign(body.text, name: origin, key: key), at: Timestamp(now).description)
        let event = CloudEvent(
            id: "\(origin)/\(checkpoint.size)", source: AuditService.descriptor.eventSource, time: Timestamp(now),
            data: AuditCheckpoint(origin: origin, size: checkpoint.size, rootHash: checkpoint.root.base64EncodedString(), note: checkpoint.note))
        try publish(try KafkaProducerMessage.event(event, topic: topic, key: origin))
        try ledger.record(checkpoint, outboxID: db.lastInsertedRowID)
        return checkpoint
    }
}

/// Asks for a checkpoint every ``interval`` when this instance sequenced records since the last
/// request: a request frame on the internal log, so every instance signs it at the same point.
final class CheckpointRequester: Service, Sendable {
    let store: ServiceStore
    let relay: OutboxRelay
    let activity: SequencerActivity
    let request: KafkaProducerMessage
    let interval: Duration
    let logger: Logger

    init(store: ServiceStore, relay: OutboxRelay, activity: SequencerActivity, request: KafkaProducerMessage, interval: Duration, logger: Logger) {
        (self.store, self.relay, self.activity, self.request, self.interval, self.logger) = (store, relay, activity, request, interval, logger)
    }

    func run() async throws {
        await repeatUntilShutdown {
            // Stopping: the store refuses a cancelled task's write, which is no failure.
            guard !Task.isCancelled, self.activity.take() else { return self.interval }
            let request = self.request
            do {
                try await self.store.write { db in try Outbox.append(request, in: db) }
                self.relay.wake()
            } catch {
                self.logger.error("could not ask for a checkpoint", metadata: ["error": "\(error)"])
            }
            return self.interval
        }
    }
}
