// Which instance delivers the events of a partition, and where its deliveries have got to.

import Foundation
import GRDB
import Kafka
import Logging
import RegistrySchema
import ServiceLifecycle
import ServiceRuntime
import Synchronization

/// Which partitions of notification's inputs this instance delivers, in the group `notification`.
///
/// Every instance stores every event (a replica of its inputs, for replays and for taking over);
/// the instance that owns an event's partition queues and sends its deliveries:
/// - On assignment of a partition, deliveries are owed from the group's committed offset on: the
///   point before which the last owner finished every delivery (delivered or dead). The events
///   the replica stored from there are queued at once, in order; later ones as they arrive.
/// - On revocation, the partition's unfinished deliveries are dropped: its next owner queues them
///   again from the committed offset (a receiver may see a delivery twice, with the same
///   `webhook-id`, never out of order for one person).
/// - Every second, each owned partition's delivered watermark is committed, waiting for the
///   coordinator's answer. It refuses a member that left the group or was evicted (a paused
///   instance whose session ran out), so each success renews a lease of a few seconds; an
///   attempt starts only while the lease holds, so a resumed instance sends nothing before it
///   learns it lost its partitions.
final class DeliveryOwnership: PartitionStateKeeper, Service {
    let store: ServiceStore
    let member: EngineHandle
    let relay: OutboxRelay
    let accessTopic: String
    let source: String
    let logger: Logger
    /// How long a confirmed commit keeps the lease: below the session timeout (6 s) less a
    /// heartbeat interval (1 s), so the group cannot have moved the partitions meanwhile.
    static let lease: Duration = .seconds(4)

    private struct State {
        /// Owned partitions, each with the offset from which this instance delivers.
        var owned: [KafkaTopicPartition: Int64] = [:]
        /// Owned partitions whose owed deliveries are queued (restoring ones are not yet): only
        /// these have a watermark, since "no delivery waits" means "all delivered" only for them.
        var queued: Set<KafkaTopicPartition> = []
        /// Counts every change of ownership: a watermark read across one is not committed.
        var generation = 0
        var leaseUntil: ContinuousClock.Instant?
        var reportedFailure = false
    }
    private let state = Mutex(State())
    let newDeliveries: WakeSignal

    init(store: ServiceStore, member: EngineHandle, relay: OutboxRelay, topics: TopicNames, source: String, newDeliveries: WakeSignal, logger: Logger) {
        self.store = store
        self.member = member
        self.relay = relay
        self.accessTopic = topics.name(for: .accessLogged)
        self.source = source
        self.newDeliveries = newDeliveries
        self.logger = logger
    }

    /// Whether this instance delivers the message at `offset` of `partition`.
    func delivers(_ partition: KafkaTopicPartition, offset: Int64) -> Bool {
        state.withLock { $0.owned[partition].map { offset >= $0 } ?? false }
    }

    /// Whether this instance delivers the events read from `topic`'s `partition`.
    func owns(topic: String, partition: Int32) -> Bool {
        state.withLock { $0.owned[KafkaTopicPartition(topic: topic, partition: partition)] != nil }
    }

    /// Whether an attempt may start now: the group confirmed the membership within the lease.
    /// (Owning nothing, this instance has no deliveries of its own to hold back: deliveries are
    /// queued only for owned partitions, and dropped when they go.)
    var leaseHolds: Bool {
        state.withLock { state in state.owned.isEmpty || state.leaseUntil.map { ContinuousClock.now < $0 } ?? false }
    }

    func restore(_ partitions: Set<KafkaTopicPartition>, committed: [KafkaTopicPartition: Int64]) throws {
        guard !partitions.isEmpty else { return }
        // Owned first: a batch the replica commits after this queues its own deliveries.
        state.withLock { state in
            for partition in partitions { state.owned[partition] = committed[partition] ?? 0 }
            state.queued.subtract(partitions)
            state.generation += 1
            state.leaseUntil = .now + Self.lease
        }
        let now = Timestamp(.now)
        let (accessTopic, source) = (self.accessTopic, self.source)
        let queued = try store.pool.write { db -> Int in
            let router = EventRouter(db)
            var disclosures = QueuedDisclosures()
            var count = 0
            for partition in partitions.sorted() {
                for (subscription, people) in try router.queueStored(
                    topic: partition.topic, partition: partition.partition, from: committed[partition] ?? 0, now: now.milliseconds)
                {
                    count += 1
                    guard !people.isEmpty else { continue }
                    disclosures.add(subscription == SubscriptionStore.ownerAlertChannel ? .ownerAlert : .delivery, subscription: subscription, people: people)
                }
            }
            for access in try disclosures.events(in: db, service: NotificationService.descriptor.name, at: now) {
                try Outbox.append(try AccessLog.message(access, topic: accessTopic, source: source), in: db)
            }
            return count
        }
        state.withLock { state in
            state.queued.formUnion(partitions.filter { state.owned[$0] != nil })
            state.generation += 1
        }
        if queued > 0 {
            relay.wake()
            newDeliveries.signal()
            logger.info("queued the deliveries owed for the partitions taken over", metadata: ["deliveries": "\(queued)"])
        }
    }

    /// Owns `partitions` without a group and without a lease (an instance run on its own, as the
    /// tests run one in-process): nothing renews the lease, so it does not run out.
    func ownOutsideAnyGroup(_ partitions: Set<KafkaTopicPartition>) {
        state.withLock { state in
            for partition in partitions { state.owned[partition] = 0 }
            state.queued.formUnion(partitions)
            state.generation += 1
            state.leaseUntil = .now + .seconds(365 * 86_400)
        }
    }

    func released(_ partitions: Set<KafkaTopicPartition>) {
        state.withLock { state in
            for partition in partitions { state.owned[partition] = nil }
            state.queued.subtract(partitions)
            state.generation += 1
        }
        do {
            try store.pool.write { db in try DeliveryQueue(db).dropUnfinished(of: partitions) }
        } catch {
            // The next start drops them (nothing is owned then).
            logger.error("could not drop the unfinished deliveries of partitions taken away", metadata: ["error": "\(error)"])
        }
    }

    /// Commits each owned partition's delivered watermark every second (renewing the lease).
    func run() async throws {
        await repeatUntilShutdown {
            await self.commitWatermarks()
            return .seconds(1)
        }
    }

    /// Commits, for each owned partition, the offset before which every delivery of its events is
    /// finished (or, with none waiting, the replica's applied offset), and renews the lease.
    func commitWatermarks() async {
        // A round that saw the ownership change is not committed: deliveries dropped with a
        // released partition, or not yet queued for one taken over, would read as all delivered
        // and the watermark would pass them (a graceful restart lost the rest of its partitions).
        let (owned, generation) = state.withLock { state in (state.owned.filter { state.queued.contains($0.key) }, state.generation) }
        guard let engine = member.engine, !owned.isEmpty else { return }
        do {
            let marks = try await store.read { db in
                var marks: [KafkaTopicPartition: Int64] = [:]
                for (partition, from) in owned {
                    let waiting = try DeliveryQueue(db).firstUnfinishedOffset(of: partition)
                    let applied = try ConsumerOffsets.next(of: partition, in: db)
                    marks[partition] = max(from, waiting ?? applied ?? from)
                }
                return marks
            }
            guard state.withLock({ $0.generation }) == generation else { return }
            // The lease runs from the request the group answers, not from reading the marks.
            let started = ContinuousClock.now
            try await engine.commitAndWait(marks)
            state.withLock { state in
                state.leaseUntil = started + Self.lease
                state.reportedFailure = false
            }
        } catch {
            let first = state.withLock { state -> Bool in
                defer { state.reportedFailure = true }
                return !state.reportedFailure
            }
            if first {
                logger.warning("the group did not confirm this instance's partitions; deliveries wait until it does", metadata: ["error": "\(error)"])
            }
        }
    }
}
