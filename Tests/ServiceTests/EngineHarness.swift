// A processing engine with its own store, producer and relay, run as a service runs it.

import Foundation
import GRDB
import Kafka
import RegistrySchema
import ServiceLifecycle
import ServiceRuntime
import TestSupport

/// Runs one ``ProcessingEngine`` over `input` with a store that has a `seen (id, offset)` table.
struct EngineHarness {
    let store: ServiceStore
    let directory: String
    /// The engine's consumer group.
    let groupID: String
    let engine: ProcessingEngine
    private let group: ServiceGroup
    private let running: Task<Void, any Error>

    /// Starts the engine, its relay and producer.
    init(name: String, processor: any BatchProcessor, input: String, topics: TopicNames, retryDelays: [Duration] = [.milliseconds(100), .milliseconds(500), .seconds(2)]) throws {
        directory = NSTemporaryDirectory() + "\(name)-" + UUID().uuidString
        store = try ServiceStore(directory: directory, name: name) { migrator in
            migrator.registerMigration("seen") { db in
                try db.create(table: "seen") { t in
                    t.primaryKey("id", .text)
                    t.column("offset", .integer).notNull()
                }
            }
        }
        groupID = TestBroker.uniqueName("\(name)-group")
        let client = try TestBroker.clientConfiguration("\(name)-service")
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: TestBroker.logger)
        let relay = OutboxRelay(store: store, producer: producer, service: name, logger: TestBroker.logger)
        let engine = ProcessingEngine(
            store: store, processor: processor,
            consumer: KafkaConsumerConfiguration(client: client, groupID: groupID), topics: [input],
            deadLetterMessage: DeadLetters.message(service: name, source: "/registry/\(name)", topics: topics), relay: relay,
            retryDelays: retryDelays, service: name, logger: TestBroker.logger)
        self.engine = engine
        let group = ServiceGroup(services: [producer, relay, engine], logger: TestBroker.logger)
        self.group = group
        running = Task { try await group.run() }
    }

    /// A new input topic of one partition (under a prefix of its own, with its dead-letter topic)
    /// and a producer to fill it.
    static func input(_ name: String) async throws -> (topics: TopicNames, input: String, producer: KafkaProducer) {
        let topics = TopicNames(prefix: TestBroker.uniqueName(name) + ".")
        let input = topics.name(for: .registrationSubmitted)
        try await TestBroker.createTopics([input, topics.name(for: .deadLetter)], partitions: 1)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try TestBroker.clientConfiguration()), logger: TestBroker.logger)
        return (topics, input, producer)
    }

    /// The number of rows in `seen`.
    func seenCount() async throws -> Int {
        try await store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM seen") ?? 0 }
    }

    /// Stops the engine gracefully and closes the store; returns the `seen` rows in offset order.
    func stop() async throws -> [Seen] {
        await group.triggerGracefulShutdown()
        try await running.value
        let seen = try await store.read { db in
            try Row.fetchAll(db, sql: "SELECT id, offset FROM seen ORDER BY offset").map { Seen(id: $0["id"], offset: $0["offset"]) }
        }
        try store.close()
        return seen
    }

    /// A row of `seen`.
    struct Seen: Sendable {
        let id: String
        let offset: Int64
    }
}
