// registryctl topics create|list

import ArgumentParser
import Kafka
import RegistrySchema

/// Creates or lists the registry's topics (DESIGN §3).
struct TopicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics",
        abstract: "Create or list the registry's topics.",
        subcommands: [Create.self, List.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create every topic of DESIGN §3 with its partitions and cleanup policy; existing ones are left as they are.")

        @OptionGroup var broker: BrokerOptions

        @Option(help: "Partitions per topic.")
        var partitions: Int32 = 12

        @Option(help: "Replication factor (-1: the broker's default).")
        var replicationFactor: Int32 = -1

        func run() async throws {
            let admin = try KafkaAdmin(configuration: broker.clientConfiguration, logger: broker.logger)
            let names = broker.topicNames
            let specs = RegistryTopic.allCases.map { topic in
                KafkaTopicSpecification(
                    name: names.name(for: topic), partitions: partitions,
                    replicationFactor: replicationFactor, configs: topic.topicConfigs)
            }
            let outcome: [String: KafkaTopicCreation]
            do {
                outcome = try await admin.createTopics(specs)
            } catch let error as KafkaError where error.kind == .timedOut {
                print("registryctl: the broker at \(broker.clientConfiguration.bootstrapServers) did not answer: \(error)")
                throw ExitStatus.brokerUnreachable
            }
            for spec in specs {
                let what = outcome[spec.name] == .created ? "created" : "exists "
                print("\(what)  \(spec.name)  partitions=\(spec.partitions)  cleanup.policy=\(spec.configs["cleanup.policy"] ?? "delete")")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the broker's topics with their partition counts.")

        @OptionGroup var broker: BrokerOptions

        func run() async throws {
            let admin = try KafkaAdmin(configuration: broker.clientConfiguration, logger: broker.logger)
            let topics: [KafkaTopicMetadata]
            do {
                topics = try await admin.listTopics()
            } catch let error as KafkaError {
                print("registryctl: the broker at \(broker.clientConfiguration.bootstrapServers) did not answer: \(error)")
                throw ExitStatus.brokerUnreachable
            }
            for topic in topics {
                print("\(topic.name)\tpartitions=\(topic.partitions.count)")
            }
        }
    }
}
