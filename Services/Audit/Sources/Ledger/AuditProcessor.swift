// The audit's batch logic: one leaf per consumed message, a checkpoint when one is due.

import Kafka
import RegistrySchema
import ServiceRuntime

/// Appends every message of a batch to the log, and signs a checkpoint when one is due, in the
/// engine's transaction: a crash loses or repeats nothing (records are unique per topic,
/// partition and offset, and the offsets commit with them; the tree's frontier is read from the
/// store at the start of each batch, so a rolled-back batch leaves nothing behind).
struct AuditProcessor: BatchProcessor {
    let signer: CheckpointSigner
    let decoder = RegistryEventDecoder()

    func apply(_ messages: [KafkaConsumerMessage], in transaction: inout BatchTransaction) throws {
        let records = try CanonicalRecord.records(of: messages, decoder: decoder)
        var frontier = try StoredTree(transaction.db).frontier()
        try AuditLedger(transaction.db).append(records, to: &frontier)
        try signer.checkpointIfDue(transaction.db, frontier: frontier, force: false) { try transaction.emit($0) }
    }
}
