// A batch's audit records and their canonical bytes, built on every core before the chain
// takes them in order.

import Dispatch
import Foundation
import Kafka
import RegistrySchema
import Synchronization

/// An audit record as the log appends it: its canonical bytes (the leaf, ``AuditRecord/canonicalBytes()``)
/// and the facts the store indexes.
public struct CanonicalRecord: Sendable, Equatable {
    /// What the store indexes of the record.
    public let facts: RecordFacts
    /// Its canonical bytes.
    public let bytes: Data

    /// Encodes `record`.
    public init(_ record: AuditRecord) throws {
        facts = RecordFacts(record)
        bytes = try record.canonicalBytes()
    }

    /// A record already encoded (read off the internal log).
    public init(facts: RecordFacts, bytes: Data) {
        self.facts = facts
        self.bytes = bytes
    }

    /// The records of `messages`, in their order.
    ///
    /// Decoding, base64 and the canonical JSON depend on one message alone and were 30 % of the
    /// audit's CPU samples (perf, 2026-12-02), while the chain (each hash covers the one before)
    /// and the inserts must stay in order. So a large batch is split into `parts` runs that are
    /// built at once, each on a core of its own; a small one is built where it is.
    /// - Parameters:
    ///   - parts: How many runs at most; by default one per core.
    ///   - minimumPerPart: Fewer messages than this per run are not worth a thread hop.
    public static func records(
        of messages: [KafkaConsumerMessage], decoder: RegistryEventDecoder,
        parts: Int = ProcessInfo.processInfo.activeProcessorCount, minimumPerPart: Int = 64
    ) throws -> [CanonicalRecord] {
        @Sendable func build(_ part: ArraySlice<KafkaConsumerMessage>) throws -> [CanonicalRecord] {
            try part.map { try CanonicalRecord(AuditRecord($0, decoder: decoder)) }
        }
        let runs = min(parts, messages.count / max(minimumPerPart, 1))
        guard runs > 1 else { return try build(messages[...]) }
        let size = (messages.count + runs - 1) / runs
        let built = Mutex([Result<[CanonicalRecord], any Error>?](repeating: nil, count: runs))
        DispatchQueue.concurrentPerform(iterations: runs) { run in
            let result = Result { try build(messages[min(run * size, messages.count)..<min((run + 1) * size, messages.count)]) }
            built.withLock { $0[run] = result }
        }
        return try built.withLock { results in try results.flatMap { try $0!.get() } }
    }
}
