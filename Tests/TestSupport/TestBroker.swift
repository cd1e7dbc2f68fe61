// Access to the test broker that `make test` starts.

import Foundation
import Kafka
import Logging

/// The broker the tests talk to. `make test` starts one on a free port and exports
/// `KAFKA_BOOTSTRAP_SERVERS`; without it, tests that need a broker fail with instructions.
public enum TestBroker {
    /// Why a broker-backed test cannot run.
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// The test broker's `host:port`.
    /// - Throws: ``Unavailable`` with instructions when no broker was provided.
    public static func bootstrapServers() throws -> String {
        guard let servers = ProcessInfo.processInfo.environment["KAFKA_BOOTSTRAP_SERVERS"], !servers.isEmpty else {
            throw Unavailable(description: """
                This test needs the Kafka test broker and KAFKA_BOOTSTRAP_SERVERS is not set. \
                Run the suite with `make test`, which starts a broker on a free port and sets the \
                environment (including LD_LIBRARY_PATH for librdkafka ≥ 2.2).
                """)
        }
        do {
            try KafkaLibrary.requireSupportedVersion()
        } catch {
            throw Unavailable(description: "\(error)")
        }
        return servers
    }

    /// Client settings for the test broker with a distinct client id.
    public static func clientConfiguration(_ clientID: String = "test") throws -> KafkaClientConfiguration {
        KafkaClientConfiguration(bootstrapServers: try bootstrapServers(), clientID: clientID)
    }

    /// A topic name no other test uses.
    public static func uniqueName(_ label: String) -> String {
        "test-\(label)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// A logger for tests that stays quiet below warnings.
    public static var logger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }

    /// A logger for a test's own clients while it takes the broker away on purpose: the
    /// connection errors that follow are the scenario, not news.
    public static var outageLogger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    /// Reads `topics` from the beginning with a fresh group until `count` messages arrived (or
    /// fails after `timeout`), and returns them in arrival order.
    /// - Parameter bootstrapServers: Another broker than the test broker (e.g. a ``PrivateBroker``).
    public static func consume(_ topics: [String], count: Int, timeout: Duration = .seconds(60), bootstrapServers: String? = nil) async throws -> [KafkaConsumerMessage] {
        var client = try clientConfiguration("test-reader")
        if let bootstrapServers { client.bootstrapServers = bootstrapServers }
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(client: client, groupID: uniqueName("reader")),
            logger: logger)
        try consumer.subscribe(to: topics)
        defer { Task { await consumer.close() } }
        return try await withTimeout("reading \(count) messages from \(topics.joined(separator: ","))", timeout) { [consumer] in
            var received: [KafkaConsumerMessage] = []
            for await batch in consumer.batches {
                received += batch.messages
                if received.count >= count { break }
            }
            return received
        }
    }

    /// Creates topics for a test.
    public static func createTopics(_ names: [String], partitions: Int32) async throws {
        let admin = try KafkaAdmin(configuration: try clientConfiguration("test-admin"), logger: logger)
        try await admin.createTopics(names.map { KafkaTopicSpecification(name: $0, partitions: partitions) })
    }
}
