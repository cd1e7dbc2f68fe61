// Which partitions a consumer has read to their end: for readiness and for the first catch-up.

import Kafka
import Logging
import ServiceLifecycle
import Synchronization

/// The part of ``ProcessingEngine`` that knows how far behind it is.
///
/// - **Readiness:** every partition assigned now has been read to its end since it was
///   (last) assigned. An instance that has just joined, or is restoring after a rebalance, is
///   not ready: a load balancer sends it no lookups it would answer from behind.
/// - **Read to its end** means: librdkafka reported the end (a fetch found nothing more), or the
///   engine applied past the end the partition had when its first messages since the assignment
///   were fetched (as Kafka Streams restores a store up to the changelog's end taken at the
///   start). The second matters under steady traffic: an instance that keeps pace but started
///   behind may never see a fetch come back empty, and would never be ready.
/// - **Caught up once:** every partition of the topics (not only those assigned now: after a
///   crash the group may still hold the dead member's share for a while) has been read to its
///   end once; then it logs so and opens its ``CatchUpGate``.
final class CatchUpTracker: Sendable {
    private struct State {
        /// Every partition of the topics, once known.
        var allPartitions: Set<KafkaTopicPartition> = []
        /// Partitions read to their end at least once.
        var readToEnd: Set<KafkaTopicPartition> = []
        /// Partitions read to their end since they were (last) assigned.
        var readToEndSinceAssigned: Set<KafkaTopicPartition> = []
        /// Of the partitions not yet read to their end since assigned: their end when their first
        /// messages since the assignment were fetched.
        var targets: [KafkaTopicPartition: Int64] = [:]
        var caughtUpOnce = false
    }
    private let state = Mutex(State())
    private let topics: [String]
    private let gate: CatchUpGate?
    private let logger: Logger

    /// - Parameter gate: Opened when every partition of `topics` has been read to its end once.
    init(topics: [String], gate: CatchUpGate?, logger: Logger) {
        self.topics = topics
        self.gate = gate
        self.logger = logger
    }

    /// `partitions` were (re)assigned: they must be read to their end again before readiness.
    func assigned(_ partitions: [KafkaTopicPartition]) {
        state.withLock { state in
            state.readToEndSinceAssigned.subtract(partitions)
            for partition in partitions { state.targets[partition] = nil }
        }
    }

    /// Whether every partition of `assignment` has been read to its end since it was assigned.
    func hasReadToEnd(_ assignment: Set<KafkaTopicPartition>) -> Bool {
        state.withLock { assignment.isSubset(of: $0.readToEndSinceAssigned) }
    }

    /// Learns every partition of the topics (when there is a gate to open), retrying until the
    /// broker answers or the service stops.
    func learnAllPartitions(from consumer: KafkaConsumer) async {
        guard gate != nil else { return }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if let all = try? await consumer.partitions(of: topics), !all.isEmpty {
                state.withLock { $0.allPartitions = all }
                return
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    /// A batch was applied up to `next` (each partition's next offset). Counts as read to the end
    /// the partitions that passed their target; gives a target to those that have none yet, from
    /// `fetchedEnds` (each partition's end as the last fetch reported it, asked only for these).
    func applied(
        _ next: [KafkaTopicPartition: Int64], fetchedEnds: (Set<KafkaTopicPartition>) -> [KafkaTopicPartition: Int64],
        assignment: @autoclosure () -> Set<KafkaTopicPartition>, applied: Int
    ) {
        // Once caught up (most batches), one look-up per partition and nothing else.
        let (pending, untargeted) = state.withLock { state in
            let pending = next.keys.filter { !state.readToEndSinceAssigned.contains($0) }
            return (!pending.isEmpty, Set(pending.filter { state.targets[$0] == nil }))
        }
        guard pending else { return }
        let ends = untargeted.isEmpty ? [:] : fetchedEnds(untargeted)
        let passed = state.withLock { state -> [KafkaTopicPartition] in
            for (partition, end) in ends where state.targets[partition] == nil { state.targets[partition] = end }
            return next.compactMap { partition, offset in
                guard !state.readToEndSinceAssigned.contains(partition), let target = state.targets[partition], offset >= target else { return nil }
                state.targets[partition] = nil
                return partition
            }
        }
        reached(passed, assignment: assignment(), applied: applied)
    }

    /// `partitions` were read to their end (`applied`: messages applied since start, for the log).
    /// `assignment` is asked for only when there are such partitions (most batches have none).
    func reached(_ partitions: [KafkaTopicPartition], assignment: @autoclosure () -> Set<KafkaTopicPartition>, applied: Int) {
        guard !partitions.isEmpty else { return }
        let assignment = assignment()
        let firstTime = state.withLock { state -> Bool in
            state.readToEndSinceAssigned.formUnion(partitions)
            for partition in partitions { state.targets[partition] = nil }
            guard !state.caughtUpOnce else { return false }
            state.readToEnd.formUnion(partitions)
            let expected = state.allPartitions.isEmpty ? assignment : state.allPartitions
            state.caughtUpOnce = !expected.isEmpty && expected.isSubset(of: state.readToEnd)
            return state.caughtUpOnce
        }
        guard firstTime else { return }
        logger.info("caught up: read \(topics.joined(separator: ",")) to the end", metadata: ["applied": "\(applied)"])
        gate?.open()
    }
}
