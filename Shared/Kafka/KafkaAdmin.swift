// Topic administration and metadata.

import Dispatch
import Logging
import Synchronization

/// A topic to create.
public struct KafkaTopicSpecification: Sendable, Hashable {
    /// The topic name (prefix applied).
    public var name: String
    /// The number of partitions.
    public var partitions: Int32
    /// The replication factor (-1: the broker's default).
    public var replicationFactor: Int32
    /// Topic configs, e.g. `cleanup.policy=compact`.
    public var configs: [String: String]

    /// Creates a specification.
    public init(name: String, partitions: Int32, replicationFactor: Int32 = -1, configs: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }
}

/// What creating a topic did.
public enum KafkaTopicCreation: Sendable, Hashable {
    /// The topic was created.
    case created
    /// It existed already (not an error).
    case alreadyExisted
}

/// A topic and its partitions, from broker metadata.
public struct KafkaTopicMetadata: Sendable, Hashable {
    /// The topic name.
    public let name: String
    /// Its partition ids, ascending.
    public let partitions: [Int32]
    /// How many replicas its first partition has (0 for a topic without partitions).
    public let replicationFactor: Int
}

/// Creates and lists topics and reads partition watermarks.
public final class KafkaAdmin: Sendable {
    private let client: RDKafkaClient
    private let properties: [String: String]
    private let logger: Logger
    private let clientID: String
    private let groupReaders = Mutex<[String: RDKafkaClient]>([:])

    /// Creates an admin client.
    public init(configuration: KafkaClientConfiguration, logger: Logger) throws {
        var properties = configuration.properties.merging(configuration.extraProperties) { _, extra in extra }
        properties["enable.idempotence"] = "false"
        self.properties = properties
        self.logger = logger
        clientID = configuration.clientID
        client = try RDKafkaClient(role: .producer, properties: properties, logger: logger, statistics: KafkaStatisticsRecorder(client: configuration.clientID))
    }

    /// Creates topics; one that exists already counts as success.
    /// - Returns: What happened to each topic.
    @discardableResult
    public func createTopics(_ topics: [KafkaTopicSpecification], timeout: Duration = .seconds(30)) async throws -> [String: KafkaTopicCreation] {
        try await client.offload { try $0.createTopics(topics, timeout: timeout) }
    }

    /// Lists the broker's topics with their partitions, sorted by name.
    public func listTopics(timeout: Duration = .seconds(10)) async throws -> [KafkaTopicMetadata] {
        try await client.offload { try $0.metadata(timeout: timeout) }.sorted { $0.name < $1.name }
    }

    /// How many brokers the cluster has, and its topics sorted by name, from one metadata request.
    public func cluster(timeout: Duration = .seconds(10)) async throws -> (brokers: Int, topics: [KafkaTopicMetadata]) {
        let (brokers, topics) = try await client.offload { try $0.clusterMetadata(timeout: timeout) }
        return (brokers, topics.sorted { $0.name < $1.name })
    }

    /// The cluster's consumer groups, sorted by name (to find the groups of a service's
    /// instances, each of which reads some topics through a group of its own).
    public func listGroups(timeout: Duration = .seconds(10)) async throws -> [String] {
        try await client.offload { try $0.groups(timeout: timeout) }.sorted()
    }

    /// A partition's low and high watermarks.
    public func watermarks(of partition: KafkaTopicPartition, timeout: Duration = .seconds(5)) async throws -> KafkaWatermarks {
        try await client.offload { try $0.watermarks(partition, timeout: timeout) }
    }

    /// The watermarks of `partitions`, their ends confirmed by one fetch for all of them
    /// (``watermarks(of:timeout:)`` in a loop opens a connection per partition).
    public func watermarks(of partitions: [KafkaTopicPartition], timeout: Duration = .seconds(5)) async throws -> [KafkaTopicPartition: KafkaWatermarks] {
        try await client.offload { try $0.watermarks(partitions, timeout: timeout) }
    }

    /// The offsets consumer group `group` committed (the next offset it will read) for
    /// `partitions`; partitions where it committed nothing are left out. Reading them does not
    /// join the group.
    public func committedOffsets(group: String, partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)) async throws -> [KafkaTopicPartition: Int64] {
        let consumer = try groupReader(group)
        return try await consumer.offload { try $0.committed(partitions, timeout: timeout) }
    }

    /// A consumer handle with `group`'s id that never joins it, kept for the next question about
    /// that group: a watch asks several times a second, and a handle per question was a new
    /// connection and coordinator lookup each time.
    private func groupReader(_ group: String) throws -> RDKafkaClient {
        if let known = groupReaders.withLock({ $0[group] }) { return known }
        var properties = self.properties
        properties["group.id"] = group
        properties["enable.auto.commit"] = "false"
        properties.removeValue(forKey: "enable.idempotence")
        let consumer = try RDKafkaClient(role: .consumer, properties: properties, logger: logger, statistics: KafkaStatisticsRecorder(client: clientID))
        return groupReaders.withLock { readers in
            if let raced = readers[group] { return raced }
            readers[group] = consumer
            return consumer
        }
    }
}
