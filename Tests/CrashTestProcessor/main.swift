// A test-only service for the fault tests: counts messages per key in its store and emits one
// outgoing message per input message. It runs through the same ServiceMain as the real
// services (env configuration, HTTP health/readiness, engine, outbox relay, shutdown order).
// Its own variables: INPUT_TOPIC, OUTPUT_TOPIC.

import Foundation
import GRDB
import Kafka
import ServiceRuntime

struct CountingProcessor: BatchProcessor {
    let outputTopic: String

    func apply(_ messages: [KafkaConsumerMessage], in transaction: inout BatchTransaction) throws {
        for message in messages {
            guard let key = message.keyString, let value = message.value, Int(String(decoding: value, as: UTF8.self)) != nil else {
                transaction.deadLetter(message, reason: .malformed("not a keyed counter message"))
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

enum CountingTestService: RegistryService {
    static let input = ConfigurationVariable("INPUT_TOPIC", default: nil, "Topic to count.")
    static let output = ConfigurationVariable("OUTPUT_TOPIC", default: nil, "Topic for one message per input message.")
    static let descriptor = ServiceDescriptor(
        name: "crash-test", summary: "Counts messages per key (fault tests only).", defaultPort: 8099, variables: [input, output])

    static func migrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("counts") { db in
            try db.create(table: "counts") { t in
                t.primaryKey("key", .text)
                t.column("n", .integer).notNull()
            }
        }
    }

    static func parts(in environment: ServiceEnvironment) throws -> ServiceParts {
        guard let input = environment.settings.string(input), let output = environment.settings.string(output) else {
            throw ConfigurationError(variable: "INPUT_TOPIC/OUTPUT_TOPIC", problem: "both are required")
        }
        return ServiceParts(consumers: [ConsumerPart(processor: CountingProcessor(outputTopic: output), topics: [input])])
    }
}

exit(await ServiceMain.run(CountingTestService.self).rawValue)
