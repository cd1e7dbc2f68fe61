// Options every broker-facing subcommand shares.

import ArgumentParser
import Foundation
import Kafka
import Logging
import RegistrySchema

/// Broker connection and topic prefix, from flags or the environment (docs/architecture.md §7).
struct BrokerOptions: ParsableArguments {
    @Option(name: .customLong("bootstrap-servers"), help: "Kafka brokers (default: $KAFKA_BOOTSTRAP_SERVERS or localhost:9092).")
    var bootstrapServers: String?

    @Option(name: .customLong("topic-prefix"), help: "Topic name prefix (default: $REGISTRY_TOPIC_PREFIX or empty).")
    var topicPrefix: String?

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    var clientConfiguration: KafkaClientConfiguration {
        var configuration = KafkaClientConfiguration.fromEnvironment(environment, clientID: "registryctl")
        if let bootstrapServers { configuration.bootstrapServers = bootstrapServers }
        return configuration
    }

    var topicNames: TopicNames {
        TopicNames(prefix: topicPrefix ?? environment["REGISTRY_TOPIC_PREFIX"] ?? "")
    }

    var logger: Logger {
        var logger = Logger(label: "registryctl")
        logger.logLevel = .critical
        return logger
    }

    /// Runs a request to the broker: a timeout (the broker does not answer) is reported on
    /// standard error and exits 69, another Kafka error exits 1.
    func answer<T>(_ request: () async throws -> T) async throws -> T {
        do {
            return try await request()
        } catch let error as KafkaError where error.isBrokerUnreachable {
            printError("registryctl: the broker at \(clientConfiguration.bootstrapServers) did not answer: \(error)")
            throw ExitStatus.brokerUnreachable
        } catch let error as KafkaError {
            printError("registryctl: \(error)")
            throw ExitCode.failure
        }
    }
}

/// Exit codes scripts can rely on.
enum ExitStatus {
    static let brokerUnreachable = ExitCode(69)
}
