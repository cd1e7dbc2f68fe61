// Which partitions this instance publishes for, each through a producer that fences the last owner.

import Dispatch
import Foundation
import Kafka
import Logging
import Synchronization

/// The partitions of one input topic that this instance owns in its service's consumer group,
/// and, for each, the transactional producer that publishes what the partition's messages caused.
///
/// What a consumed message causes is written to the outbox tagged with its partition
/// (``BatchTransaction/emit(_:causedBy:)``); only the partition's owner publishes those rows.
/// When a partition is assigned, ``acquire(_:committed:)`` creates its producer with the
/// `transactional.id` `<group>-<partition>` and registers it, which fences every earlier producer
/// with that id: an instance that lost the partition (crashed, or paused past its session and
/// resumed) can no longer write for it, whatever it still has in its outbox. The relay publishes a
/// partition's rows in transactions and commits, every few seconds, the group's offset of the
/// input partition up to where everything is published, so the next owner knows where to start.
public final class PartitionOwnership: Sendable {
    /// The topic whose partitions are owned (prefix applied).
    public let inputTopic: String
    /// The consumer group, whose committed offsets say where publishing stopped.
    public let groupID: String
    /// Whether every instance computes the rows of every partition (address-index's replicas):
    /// rows of a partition another instance owns are then dropped once it has published them.
    /// When false (intake), only the owner writes such rows, and a service that lost a partition
    /// takes its unpublished rows back itself (``PartitionStateKeeper``).
    public let everyInstanceComputes: Bool
    /// Topics this instance also reads as a replica (intake's decisions): where its own
    /// messages on them end is stored as its consumer offset, so it never reads them back.
    public let readBackTopics: Set<String>
    /// Whether this instance rebuilds its store from the topics (`--rebuild`): it then publishes
    /// everything its replay computes for the partitions it owns (same ids), whatever the group's
    /// committed offsets say. A rebuild is how the derived topics are brought back after a broker
    /// lost its log, and there the committed offsets (set by instances that had applied the
    /// history before, or set again by them on the new broker) do not say what the topics hold.
    public let rebuilding: Bool
    private let producerConfiguration: KafkaProducerConfiguration
    private let logger: Logger

    /// A partition this instance publishes for.
    public struct Publisher: Sendable {
        /// Its fenced producer.
        public let producer: KafkaProducer
        /// The group's committed offset when it was acquired: rows caused by earlier messages were
        /// published by an earlier owner (`nil`: none committed).
        public let publishedBefore: Int64?
    }

    private struct State {
        var publishers: [Int32: Publisher] = [:]
        var consumer: KafkaConsumer?
        var partitionCount: Int32?
        /// When a partition was lost with no rebalance since (see ``rejoinRequested``).
        var lostAt: ContinuousClock.Instant?
    }
    private let state = Mutex(State())

    /// Creates the ownership of `inputTopic`'s partitions in `groupID`.
    public init(
        inputTopic: String, groupID: String, everyInstanceComputes: Bool, readBackTopics: Set<String> = [], rebuilding: Bool = false,
        producer: KafkaProducerConfiguration, logger: Logger
    ) {
        self.readBackTopics = readBackTopics
        self.rebuilding = rebuilding
        self.inputTopic = inputTopic
        self.groupID = groupID
        self.everyInstanceComputes = everyInstanceComputes
        self.producerConfiguration = producer
        self.logger = logger
    }

    /// Binds the group member whose assignment this follows (it commits where this instance
    /// published to; its committed offsets tell where others published to).
    public func bind(_ consumer: KafkaConsumer) {
        state.withLock { $0.consumer = consumer }
    }

    /// The partitions owned now.
    public var owned: Set<Int32> { state.withLock { Set($0.publishers.keys) } }

    /// The publisher of `partition`, if this instance owns it.
    public func publisher(for partition: Int32) -> Publisher? { state.withLock { $0.publishers[partition] } }

    /// Every partition owned, with its publisher.
    public var publishers: [Int32: Publisher] { state.withLock { $0.publishers } }

    /// The number of partitions of the input topic, once known.
    public var partitionCount: Int32? { state.withLock { $0.partitionCount } }

    /// Records the input topic's partition count (read from the broker's metadata).
    public func setPartitionCount(_ count: Int32) {
        state.withLock { $0.partitionCount = count }
    }

    /// The partition of the input topic that holds `key` (murmur2), once the count is known.
    public func partition(ofKey key: String) -> Int32? {
        partitionCount.map { KafkaKeyPartitioner.partition(of: key.utf8, partitions: $0) }
    }

    /// Takes `partitions`: creates and registers each one's transactional producer (fencing the
    /// previous owner) and starts publishing their rows. Blocking (called from a rebalance hook).
    /// - Parameter committed: The group's committed offset of each partition, if any. One beyond
    ///   the partition's end was made in a log the broker lost and says nothing: ignored.
    /// - Throws: The first producer that could not be registered (nothing is taken then).
    public func acquire(_ partitions: Set<Int32>, committed: [Int32: Int64]) throws {
        let published = rebuilding ? [:] : try withoutLostLog(committed.filter { partitions.contains($0.key) })
        let configuration = producerConfiguration
        let groupID = self.groupID
        let logger = self.logger
        let created = try runBlocking {
            try await withThrowingTaskGroup(of: (Int32, KafkaProducer).self) { group in
                for partition in partitions {
                    group.addTask {
                        var settings = configuration
                        settings.transactionalID = "\(groupID)-\(partition)"
                        let producer = try KafkaProducer(configuration: settings, logger: logger)
                        do {
                            try await producer.initTransactions()
                        } catch {
                            await producer.shutdown(flushTimeout: .zero)
                            throw error
                        }
                        return (partition, producer)
                    }
                }
                var made: [Int32: KafkaProducer] = [:]
                do {
                    for try await (partition, producer) in group { made[partition] = producer }
                } catch {
                    for producer in made.values { await producer.shutdown(flushTimeout: .zero) }
                    throw error
                }
                return made
            }
        }
        let replaced = state.withLock { state -> [KafkaProducer] in
            state.lostAt = nil
            var old: [KafkaProducer] = []
            for (partition, producer) in created {
                if let previous = state.publishers[partition] { old.append(previous.producer) }
                state.publishers[partition] = Publisher(producer: producer, publishedBefore: published[partition])
            }
            return old
        }
        retire(replaced)
        if !partitions.isEmpty {
            logger.info("publishing for partitions (earlier owners fenced)", metadata: ["topic": "\(inputTopic)", "partitions": "\(partitions.sorted())"])
        }
    }

    /// `offsets` without those beyond their partition's end (the broker lost the log they were
    /// committed in), which are logged.
    private func withoutLostLog(_ offsets: [Int32: Int64]) throws -> [Int32: Int64] {
        let lost = try runBlocking { try await self.beyondEnd(offsets) }
        guard !lost.isEmpty else { return offsets }
        logger.warning("the group's committed offsets lie beyond the partitions' ends (the broker lost its log): not taken as published", metadata: [
            "topic": "\(inputTopic)", "partitions": "\(lost.sorted())",
        ])
        return offsets.filter { !lost.contains($0.key) }
    }

    /// The partitions of `offsets` whose offset lies beyond the partition's end on the broker.
    func beyondEnd(_ offsets: [Int32: Int64]) async throws -> Set<Int32> {
        guard let consumer = state.withLock({ $0.consumer }), !offsets.isEmpty else { return [] }
        let topic = inputTopic
        let positions = Dictionary(uniqueKeysWithValues: offsets.map { (KafkaTopicPartition(topic: topic, partition: $0.key), $0.value) })
        return Set(try await consumer.beyondEnd(positions).map(\.partition))
    }

    /// Stops publishing for `partitions` (their producers are closed in the background).
    public func release(_ partitions: Set<Int32>) {
        let released = state.withLock { state in
            state.lostAt = nil
            return partitions.compactMap { state.publishers.removeValue(forKey: $0)?.producer }
        }
        retire(released)
    }

    /// Stops publishing for a partition whose producer failed for good (fenced by a newer owner,
    /// or a broker that lost its transactional state). Publishing resumes only with a new
    /// assignment from the group, which ``rejoinRequested`` asks for.
    ///
    /// Nothing happens when `producer` is no longer the partition's publisher: the group moved
    /// the partition already (its producer was retired, and the new owner's fenced a transaction
    /// it still had open), and asking the group to rejoin then only held up the new assignment
    /// (a restarted intake never got its partitions in ScaleTests).
    public func lost(_ partition: Int32, producer failed: KafkaProducer, error: KafkaError) {
        let producer = state.withLock { state -> KafkaProducer? in
            guard state.publishers[partition]?.producer === failed else { return nil }
            state.lostAt = state.lostAt ?? .now
            return state.publishers.removeValue(forKey: partition)?.producer
        }
        guard let producer else { return }
        logger.warning("no longer publishing for a partition: its producer was fenced or failed", metadata: [
            "topic": "\(inputTopic)", "partition": "\(partition)", "error": "\(error)",
        ])
        retire([producer])
    }

    /// Whether a partition was lost since the group last assigned partitions (the engine then
    /// rejoins the group to have them assigned again, to this instance or another).
    ///
    /// Only once no rebalance came within ``rejoinDelay``: a producer fenced by the partition's
    /// new owner means the group is rebalancing already (Tansu may assign the partition before
    /// this member has been told to give it up), and so does one fenced after this instance was
    /// paused past its session (librdkafka rejoins by itself). Leaving and rejoining during a
    /// rebalance stalled Tansu's group for good (docs/scaling.md), as ScaleTests showed with a
    /// restarted intake that was never assigned its partitions.
    public var rejoinRequested: Bool {
        state.withLock { state in state.lostAt.map { ContinuousClock.now - $0 >= Self.rejoinDelay } ?? false }
    }

    /// How long a lost partition waits for a rebalance before the engine asks for one.
    static let rejoinDelay: Duration = .seconds(15)

    /// Clears ``rejoinRequested`` (the engine is rejoining).
    public func rejoining() {
        state.withLock { $0.lostAt = nil }
    }

    /// The offsets the group committed for `partitions` of the input topic (those without one are
    /// left out).
    public func committed(_ partitions: Set<Int32>) async throws -> [Int32: Int64] {
        guard let consumer = state.withLock({ $0.consumer }), !partitions.isEmpty else { return [:] }
        let topic = inputTopic
        let offsets = try await offloaded { try consumer.committedOffsets(partitions.map { KafkaTopicPartition(topic: topic, partition: $0) }) }
        return Dictionary(uniqueKeysWithValues: offsets.map { ($0.key.partition, $0.value) })
    }

    /// Commits offsets of the input topic to the group as its member, waiting for the answer.
    public func commit(_ offsets: [Int32: Int64]) async throws {
        guard let consumer = state.withLock({ $0.consumer }), !offsets.isEmpty else { return }
        let topic = inputTopic
        try await consumer.commitAndWait(Dictionary(uniqueKeysWithValues: offsets.map { (KafkaTopicPartition(topic: topic, partition: $0.key), $0.value) }))
    }

    private func retire(_ producers: [KafkaProducer]) {
        guard !producers.isEmpty else { return }
        Task { for producer in producers { await producer.shutdown(flushTimeout: .seconds(1)) } }
    }
}
