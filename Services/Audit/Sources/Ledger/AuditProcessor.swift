// The audit's batch logic: one record per consumed message, chained.

import Kafka
import RegistrySchema
import ServiceRuntime

/// Appends every message of a batch to the ledger, and a checkpoint when one is due, in the
/// engine's transaction: a crash loses or repeats nothing (records are unique per
/// topic, partition and offset, and the offsets commit with them).
struct AuditProcessor: BatchProcessor {
    let signer: CheckpointSigner
    let decoder = RegistryEventDecoder()

    func apply(_ messages: [KafkaConsumerMessage], in transaction: inout BatchTransaction) throws {
        let ledger = AuditLedger(transaction.db)
        for record in try CanonicalRecord.records(of: messages, decoder: decoder) {
            try ledger.append(record)
        }
        try signer.checkpointIfDue(transaction.db, force: false)
    }
}
