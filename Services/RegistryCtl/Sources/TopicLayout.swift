// How `registryctl topics create` lays out the topics: partitions, replication, co-partitioning.

import RegistrySchema

/// The partitions and replication the registry's topics are created with (docs/architecture.md §3).
///
/// - Replication factor: as asked, else 3 on a cluster of three or more brokers, else 1;
///   `min.insync.replicas` = replication factor − 1 (at least 1), so with `acks=all` a write
///   survives the loss of one broker and the topic stays writable while one is down.
/// - Partitions: as asked (12 by default), except that every IIN-keyed topic gets one and the
///   same count (co-partitioning): when some of them exist, the missing ones get the count those
///   have; when those disagree, nothing is created and the error says which has how many.
struct TopicLayout: Equatable, Sendable {
    /// The partition count per topic to create.
    var partitions: [RegistryTopic: Int32]
    var replicationFactor: Int32
    var minInsyncReplicas: Int32
    /// What an operator should know (printed on standard error).
    var notes: [String] = []

    /// The default replication factor for a cluster of `brokers` brokers.
    static func defaultReplicationFactor(brokers: Int) -> Int32 { brokers >= 3 ? 3 : 1 }

    /// Lays the topics out.
    /// - Parameters:
    ///   - partitions: `--partitions`, or `nil` for the default.
    ///   - replicationFactor: `--replication-factor`, or `nil` for the default.
    ///   - minInsyncReplicas: `--min-insync-replicas`, or `nil` for replication factor − 1.
    ///   - brokers: How many brokers the cluster has.
    ///   - existing: The partition counts of the registry's topics that exist already.
    static func plan(
        partitions requested: Int32?, replicationFactor: Int32?, minInsyncReplicas: Int32?, brokers: Int, existing: [RegistryTopic: Int]
    ) throws(TopicLayoutError) -> TopicLayout {
        let replication = replicationFactor ?? defaultReplicationFactor(brokers: brokers)
        guard replication >= 1 else { throw .invalid("--replication-factor must be at least 1") }
        guard brokers == 0 || Int(replication) <= brokers else { throw .replicationAboveBrokers(replication, brokers: brokers) }
        let minInsync = minInsyncReplicas ?? max(1, replication - 1)
        guard (1...replication).contains(minInsync) else {
            throw .invalid("--min-insync-replicas must be from 1 to the replication factor (\(replication))")
        }
        let wanted = requested ?? RegistryTopic.defaultPartitions
        guard wanted >= 1 else { throw .invalid("--partitions must be at least 1") }

        var layout = TopicLayout(partitions: [:], replicationFactor: replication, minInsyncReplicas: minInsync)
        let keyedByIIN = existing.filter { $0.key.isKeyedByIIN }
        var iinPartitions = wanted
        if let first = keyedByIIN.values.first {
            guard keyedByIIN.values.allSatisfy({ $0 == first }) else { throw .partitionCountsDiffer(keyedByIIN) }
            iinPartitions = Int32(first)
            if let requested, requested != iinPartitions {
                layout.notes.append(
                    "the IIN-keyed topics that exist have \(first) partitions: the missing ones get \(first) as well, not \(requested), so that each partition holds the same people in all of them (co-partitioning)")
            }
        }
        for topic in RegistryTopic.allCases where existing[topic] == nil {
            layout.partitions[topic] = topic.isKeyedByIIN ? iinPartitions : wanted
        }
        if brokers >= 3, replication < 3 {
            layout.notes.append("replication factor \(replication) on a cluster of \(brokers) brokers: losing one broker can lose or stop a topic; 3 is the default there")
        }
        return layout
    }
}

/// Why the topics cannot be laid out.
enum TopicLayoutError: Error, Equatable, CustomStringConvertible {
    /// The IIN-keyed topics that exist have different partition counts.
    case partitionCountsDiffer([RegistryTopic: Int])
    /// More replicas than brokers.
    case replicationAboveBrokers(Int32, brokers: Int)
    /// An option out of range.
    case invalid(String)

    var description: String {
        switch self {
        case .partitionCountsDiffer(let counts):
            let list = counts.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue): \($0.value)" }.joined(separator: ", ")
            return """
                the IIN-keyed topics do not have one partition count (\(list)). A person's events then sit in \
                different partitions of different topics, and a Java or Kafka Streams consumer that joins them \
                (co-partitioning) reads them apart. Nothing was created. Give them all the same count (the \
                largest: `kafka-topics --alter --partitions N`; keys already written stay where they are, so \
                do it before traffic, or recreate the topics and replay the accepted topic).
                """
        case .replicationAboveBrokers(let factor, let brokers):
            return "replication factor \(factor) needs at least \(factor) brokers; the cluster has \(brokers) (--replication-factor)"
        case .invalid(let problem):
            return problem
        }
    }
}
