// The second half of the audit's processing: the internal log topic, appended in its order.

import Foundation
import GRDB
import Kafka
import ServiceRuntime

/// Appends the frames of `audit.log.v1` to this instance's log, in the topic's order: records
/// become leaves (each topic, partition and offset once), and checkpoints are signed where the
/// stream says (every ``CheckpointSigner/everyRecords`` records, decided at frame boundaries,
/// and at each checkpoint request). Every instance reads the same stream and decides the same,
/// so all hold the same tree and sign the same checkpoints, byte for byte (Ed25519 signatures are
/// deterministic): a failover keeps every proof and checkpoint.
///
/// It also advances the stored offsets of the audited partitions to after the last record the
/// log holds of each, which is where the ``Sequencer`` continues a partition it is given.
struct LogApplier: BatchProcessor {
    let signer: CheckpointSigner

    func apply(_ messages: [KafkaConsumerMessage], in transaction: inout BatchTransaction) throws {
        let db = transaction.db
        var frontier = try StoredTree(db).frontier()
        let ledger = AuditLedger(db)
        for message in messages {
            let frame: AuditLogFrame
            do {
                frame = try AuditLogFrame(decoding: message.value ?? [])
            } catch {
                transaction.deadLetter(message, reason: "MALFORMED \(error)")
                continue
            }
            switch frame {
            case .records(let records):
                try ledger.append(records, to: &frontier)
                var sequenced: [KafkaTopicPartition: Int64] = [:]
                for record in records {
                    let partition = KafkaTopicPartition(topic: record.facts.topic, partition: Int32(record.facts.partition))
                    sequenced[partition] = max(sequenced[partition] ?? -1, record.facts.offset)
                }
                try ConsumerOffsets.advance(sequenced, in: db)
                try signer.checkpointIfDue(db, frontier: frontier, force: false) { try transaction.emit($0) }
            case .checkpointRequest:
                try signer.checkpointIfDue(db, frontier: frontier, force: true) { try transaction.emit($0) }
            }
        }
    }
}
