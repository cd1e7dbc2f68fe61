// registryctl: the operator's and developer's tool.

import ArgumentParser

/// The root command; each operation is a subcommand.
public struct RegistryCtlCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "registryctl",
        abstract: "Operate and explore the address registry.",
        discussion: """
            Talks to the broker named by KAFKA_BOOTSTRAP_SERVERS (default localhost:9092); other \
            KAFKA_* variables pass through to librdkafka; REGISTRY_TOPIC_PREFIX prefixes every topic.

            Exit codes: 0 success, 1 operation failed, 64 usage error, 69 broker unreachable.
            """,
        subcommands: [TopicsCommand.self, TokenCommand.self, SchemaCommand.self, SeedCommand.self, AuditCommand.self]
    )

    public init() {}
}
