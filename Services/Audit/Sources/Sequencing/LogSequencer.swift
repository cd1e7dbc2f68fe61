// One audit instance at a time decides the order of the log.

import Foundation
import Kafka
import Logging
import Metrics
import ServiceLifecycle
import ServiceRuntime
import Synchronization

/// Publishes the order of the log on `audit.log.v1`: runs of what this instance's reader has
/// read beyond what it sequenced before, one frame at a time, straight to the broker.
///
/// It sequences while it holds the single partition of `audit.log.v1` in the group that every
/// audit instance joins (`REGISTRY_TOPIC_PREFIX` + `audit`): one instance at a time, another one
/// within a session timeout of its death. Whoever takes over starts from where its own log
/// stands. Two sequencing at once (one paused past its session and resumed before it heard) is
/// harmless: each frame only names offsets, and every instance applies a run only from where its
/// log stands (``AuditLogRun/newParts(of:next:)``), so a repeat adds nothing and the frames keep
/// one order whoever wrote them. So a frame needs no outbox: one lost is sequenced again.
final class LogSequencer: Service, Sendable {
    let configuration: KafkaConsumerConfiguration
    let logTopic: String
    /// The key of every frame: the log origin.
    let key: [UInt8]
    let producer: KafkaProducer
    let pending: PendingRecords
    let activity: SequencerActivity
    let logger: Logger
    private let sequencing = Gauge(label: "audit_sequencing")
    private let held = Gauge(label: "audit_pending_records_bytes")

    init(
        configuration: KafkaConsumerConfiguration, logTopic: String, key: [UInt8], producer: KafkaProducer, pending: PendingRecords,
        activity: SequencerActivity, logger: Logger
    ) {
        (self.configuration, self.logTopic, self.key, self.producer) = (configuration, logTopic, key, producer)
        (self.pending, self.activity, self.logger) = (pending, activity, logger)
    }

    func run() async throws {
        // The group's member that holds the log's partition sequences; the frames it reads there
        // are not needed (the applier reads them through a group of its own).
        let membership = try KafkaConsumer(configuration: configuration, logger: logger)
        try membership.subscribe(to: [logTopic])
        let drain = Task { for await _ in membership.batches {} }
        defer { drain.cancel() }
        await cancelWhenGracefulShutdown {
            var sequenced: [KafkaTopicPartition: Int64] = [:]
            var leading = false
            self.sequencing.record(0)
            while !Task.isCancelled {
                await self.pending.fresh.wait(timeout: .milliseconds(500))
                self.held.record(self.pending.heldBytes)
                guard !membership.assignment.isEmpty else {
                    if leading {
                        self.logger.info("no longer sequencing the audit log")
                        self.sequencing.record(0)
                    }
                    (leading, sequenced) = (false, [:])
                    continue
                }
                if !leading {
                    self.logger.info("sequencing the audit log")
                    self.sequencing.record(1)
                }
                leading = true
                let runs = self.pending.unsequenced(after: sequenced)
                guard !runs.isEmpty else { continue }
                for named in AuditLogFrame.orders(of: runs) {
                    do {
                        _ = try await self.producer.send(self.message(.order(named)))
                        for run in named { sequenced[run.topicPartition] = run.through + 1 }
                        self.activity.noteSequenced()
                    } catch {
                        self.logger.warning("could not publish the log's order; trying again", metadata: ["error": "\(error)"])
                        try? await Task.sleep(for: .seconds(1))
                        break
                    }
                }
            }
        }
        await membership.close()
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
