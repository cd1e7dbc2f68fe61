// A test-only service for the crash test: counts messages per key in its store and emits one
// outgoing message per input message, through the shared processing engine and outbox relay.
// Configured by env: KAFKA_BOOTSTRAP_SERVERS, DATA_DIR, INPUT_TOPIC, OUTPUT_TOPIC, GROUP_ID.

import Foundation
import GRDB
import Kafka
import Logging
import ServiceLifecycle
import ServiceRuntime

struct CountingProcessor: BatchProcessor {
    let outputTopic: String

    func apply(_ messages: [KafkaConsumerMessage], in transaction: inout BatchTransaction) throws {
        for message in messages {
            guard let key = message.keyString else {
                transaction.deadLetter(message, reason: "no key")
                continue
            }
            try transaction.db.execute(
                sql: "INSERT INTO counts (key, n) VALUES (?, 1) ON CONFLICT (key) DO UPDATE SET n = n + 1", arguments: [key])
            // The output's identity is the input's position: a re-send after a crash is identical.
            let id = "\(message.partition):\(message.offset)"
            try transaction.emit(KafkaProducerMessage(topic: outputTopic, key: key, value: Array(id.utf8)))
        }
    }
}

let environment = ProcessInfo.processInfo.environment
var logger = Logger(label: "crash-test-processor")
logger.logLevel = .warning
let client = KafkaClientConfiguration.fromEnvironment(environment, clientID: "crash-test")
let store = try ServiceStore(directory: environment["DATA_DIR"]!, name: "crash-test") { migrator in
    migrator.registerMigration("counts") { db in
        try db.create(table: "counts") { t in
            t.primaryKey("key", .text)
            t.column("n", .integer).notNull()
        }
    }
}
let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
let relay = OutboxRelay(store: store, producer: producer, service: "crash-test", logger: logger)
var consumerConfiguration = KafkaConsumerConfiguration(client: client, groupID: environment["GROUP_ID"]!)
consumerConfiguration.maxBatchSize = 500
let engine = ProcessingEngine(
    store: store, processor: CountingProcessor(outputTopic: environment["OUTPUT_TOPIC"]!), consumer: consumerConfiguration,
    topics: [environment["INPUT_TOPIC"]!],
    deadLetterMessage: { message, reason in
        KafkaProducerMessage(topic: environment["OUTPUT_TOPIC"]! + ".dead", key: message.key, value: Array(reason.utf8))
    },
    relay: relay, service: "crash-test", logger: logger)
let group = ServiceGroup(
    configuration: .init(services: [.init(service: producer), .init(service: relay), .init(service: engine)],
                         gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
try await group.run()
try store.close()
