// registryctl topics create|list

import ArgumentParser
import Kafka
import RegistrySchema

/// Creates or lists the registry's topics (docs/architecture.md §3).
struct TopicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics",
        abstract: "Create or list the registry's topics.",
        subcommands: [Create.self, List.self]
    )

    /// One topic as the commands report it.
    struct Row: Encodable {
        let topic: String
        /// `created` or `exists` (create only).
        let status: String?
        let partitions: Int
        let replicationFactor: Int
        let cleanupPolicy: String?
        let minInsyncReplicas: Int?
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create every topic of docs/architecture.md §3 with its partitions, replication and cleanup policy; existing ones are left as they are.",
            discussion: """
                The replication factor defaults to 3 on a cluster of three or more brokers and 1 \
                otherwise; min.insync.replicas to the replication factor − 1 (at least 1). The \
                IIN-keyed topics (registration.submitted, .accepted, .rejected, address.changed, \
                .current) must share one partition count (co-partitioning): missing ones get the \
                count the existing ones have, and when those differ nothing is created and the \
                command exits 1 naming them. Exits 69 when the broker does not answer.
                """)

        @OptionGroup var broker: BrokerOptions

        @Option(help: "Partitions per topic (default 12; IIN-keyed topics keep the count of those that exist).")
        var partitions: Int32?

        @Option(help: "Replication factor (default: 3 on a cluster of 3 or more brokers, else 1).")
        var replicationFactor: Int32?

        @Option(help: "min.insync.replicas of each topic (default: replication factor − 1, at least 1).")
        var minInsyncReplicas: Int32?

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let admin = try KafkaAdmin(configuration: broker.clientConfiguration, logger: broker.logger)
            let names = broker.topicNames
            let cluster = try await broker.answer { try await admin.cluster() }
            let found = Dictionary(cluster.topics.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            var existing: [RegistryTopic: Int] = [:]
            for topic in RegistryTopic.allCases {
                if let metadata = found[names.name(for: topic)] { existing[topic] = metadata.partitions.count }
            }
            let layout: TopicLayout
            do {
                layout = try TopicLayout.plan(
                    partitions: partitions, replicationFactor: replicationFactor, minInsyncReplicas: minInsyncReplicas,
                    brokers: cluster.brokers, existing: existing)
            } catch {
                printError("registryctl topics create: \(error)")
                throw ExitCode.failure
            }
            for note in layout.notes { printError("registryctl topics create: note: \(note)") }
            let specs = RegistryTopic.allCases.compactMap { topic -> KafkaTopicSpecification? in
                guard let count = layout.partitions[topic] else { return nil }
                var configs = topic.topicConfigs
                configs["min.insync.replicas"] = String(layout.minInsyncReplicas)
                return KafkaTopicSpecification(name: names.name(for: topic), partitions: count, replicationFactor: layout.replicationFactor, configs: configs)
            }
            let outcome = try await broker.answer { try await admin.createTopics(specs) }
            let rows = RegistryTopic.allCases.map { topic in
                let name = names.name(for: topic)
                if let spec = specs.first(where: { $0.name == name }), outcome[name] == .created {
                    return Row(
                        topic: name, status: "created", partitions: Int(spec.partitions), replicationFactor: Int(spec.replicationFactor),
                        cleanupPolicy: topic.cleanupPolicy.rawValue, minInsyncReplicas: Int(layout.minInsyncReplicas))
                }
                let metadata = found[name]
                return Row(
                    topic: name, status: "exists", partitions: metadata?.partitions.count ?? layout.partitions[topic].map(Int.init) ?? 0,
                    replicationFactor: metadata?.replicationFactor ?? Int(layout.replicationFactor), cleanupPolicy: topic.cleanupPolicy.rawValue,
                    minInsyncReplicas: nil)
            }
            if output.json { return try printJSON(rows) }
            for row in rows {
                let what = row.status == "created" ? "created" : "exists "
                let insync = row.minInsyncReplicas.map { "  min.insync.replicas=\($0)" } ?? ""
                print("\(what)  \(row.topic)  partitions=\(row.partitions)  cleanup.policy=\(row.cleanupPolicy ?? "delete")  replication.factor=\(row.replicationFactor)\(insync)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the broker's topics with their partition counts and replication factors.",
            discussion: "Exits 69 when the broker does not answer.")

        @OptionGroup var broker: BrokerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let admin = try KafkaAdmin(configuration: broker.clientConfiguration, logger: broker.logger)
            let topics = try await broker.answer { try await admin.listTopics() }
            let rows = topics.map {
                Row(topic: $0.name, status: nil, partitions: $0.partitions.count, replicationFactor: $0.replicationFactor, cleanupPolicy: nil, minInsyncReplicas: nil)
            }
            if output.json { return try printJSON(rows) }
            for row in rows {
                print("\(row.topic)\tpartitions=\(row.partitions)\treplication.factor=\(row.replicationFactor)")
            }
        }
    }
}
