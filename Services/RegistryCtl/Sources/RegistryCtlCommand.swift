// registryctl: the operator's and developer's tool.

import ArgumentParser
import Kafka

/// The root command; each operation is a subcommand.
public struct RegistryCtlCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "registryctl",
        abstract: "Operate and explore the address registry.",
        discussion: """
            Talks to the broker named by KAFKA_BOOTSTRAP_SERVERS (default localhost:9092); other \
            KAFKA_* variables pass through to librdkafka; REGISTRY_TOPIC_PREFIX prefixes every topic.

            Results go to standard output (as JSON with --json on the commands that list), errors \
            and progress to standard error. Exit codes: 0 success, 1 operation failed, 64 usage \
            error, 66 no such input (topic, store), 69 broker or executable unavailable, 73 cannot \
            create the output. Each command's --help says which it uses.
            """,
        version: "registryctl (librdkafka \(KafkaLibrary.version))",
        subcommands: [
            TopicsCommand.self, SeedCommand.self, LoadCommand.self, TokenCommand.self, TailCommand.self, LagCommand.self, AuditCommand.self, BackupCommand.self, RepublishCommand.self,
            ReplayCommand.self, SchemaCommand.self,
        ]
    )

    public init() {}
}
