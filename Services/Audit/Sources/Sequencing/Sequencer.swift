// The first half of the audit's processing: consumed messages become records, in order, on the
// internal log topic.

import Foundation
import Kafka
import RegistrySchema
import ServiceRuntime
import Synchronization

/// Builds the records of the messages this instance consumes (its share of the audited topics'
/// partitions, in the consumer group every audit instance joins) and publishes them, in order, on
/// `audit.log.v1`, through the outbox in the transaction that stores the consumed offsets. Every
/// instance's ``LogApplier`` appends them from there, so however many instances sequence, there
/// is one log with one order.
///
/// A partition taken over from another instance continues after the last of its records the log
/// holds: the applier advances the stored offsets of the audited partitions as it appends
/// records, and this consumer starts only once the applier has read the log to its end. Records
/// that two instances both published (a takeover before the old owner's last frames arrived, or
/// an instance paused past its session) are appended once: the log is unique per topic,
/// partition and offset.
struct Sequencer: BatchProcessor {
    /// `audit.log.v1` with the environment's prefix.
    let logTopic: String
    /// The key of every frame: the log origin, so one partition holds the whole order.
    let key: [UInt8]
    /// Told when records were sequenced, for timed checkpoint requests.
    let activity: SequencerActivity
    let decoder = RegistryEventDecoder()

    /// Frames stay under this size, well below the broker's message limit.
    static let frameBytes = 256 * 1_024

    func apply(_ messages: [KafkaConsumerMessage], in transaction: inout BatchTransaction) throws {
        let records = try CanonicalRecord.records(of: messages, decoder: decoder)
        var frame: [CanonicalRecord] = []
        var bytes = 0
        for record in records {
            if !frame.isEmpty, bytes + record.bytes.count > Self.frameBytes {
                try transaction.emit(message(.records(frame)))
                (frame, bytes) = ([], 0)
            }
            frame.append(record)
            bytes += record.bytes.count + 128
        }
        if !frame.isEmpty { try transaction.emit(message(.records(frame))) }
    }

    func didCommit() {
        activity.noteSequenced()
    }

    /// The message of a frame.
    func message(_ frame: AuditLogFrame) -> KafkaProducerMessage {
        KafkaProducerMessage(topic: logTopic, key: key, value: frame.encoded(), headers: [])
    }
}

/// Whether this instance sequenced records since it last asked for a checkpoint.
final class SequencerActivity: Sendable {
    private let sequenced = Mutex(false)

    func noteSequenced() {
        sequenced.withLock { $0 = true }
    }

    /// Whether records were sequenced since the last call.
    func take() -> Bool {
        sequenced.withLock { state in
            defer { state = false }
            return state
        }
    }
}
