// The exactly-once crash test: a processor is SIGKILLed again and again while it works through
// messages, each time with part of its input applied and the rest not.

import Foundation
import GRDB
import Kafka
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(10))) struct CrashTests {
    static let kills = 6
    static let chunk = 10_000
    static let keys = 500
    /// Chunks sent in one round before the test gives up catching the processor part-way.
    static let chunksPerRound = 5

    @Test func countsAreExactAndEveryOutputIsPresentAfterRepeatedKills() async throws {
        try await FaultRow.measure("SIGKILL a processing engine", injected: "\(Self.kills) kills") { row in
            try await run(row)
        }
    }

    func run(_ row: FaultRow) async throws -> String {
        let input = TestBroker.uniqueName("crash-in")
        let output = TestBroker.uniqueName("crash-out")
        try await TestBroker.createTopics([input, output], partitions: 6)
        let partitions = (0..<6).map { KafkaTopicPartition(topic: input, partition: Int32($0)) }
        let dataDirectory = NSTemporaryDirectory() + "crash-" + UUID().uuidString
        let path = dataDirectory + "/crash-test.sqlite"
        let environment = [
            "DATA_DIR": dataDirectory, "INPUT_TOPIC": input, "OUTPUT_TOPIC": output, "HTTP_PORT": "\(try ChildProcess.freePort())",
            "REGISTRY_JWT_SECRET": TestSecrets.jwt, "REGISTRY_TOPIC_PREFIX": TestBroker.uniqueName("crash") + ".", "LOG_LEVEL": "warning",
        ]
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try TestBroker.clientConfiguration()), logger: TestBroker.logger)
        let admin = try KafkaAdmin(configuration: try TestBroker.clientConfiguration("crash-admin"), logger: TestBroker.logger)
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        /// What the processor's store says: the next offset per input partition, and outbox rows.
        func stored() async throws -> (applied: [KafkaTopicPartition: Int64], outbox: Int) {
            guard FileManager.default.fileExists(atPath: path) else { return ([:], 0) }
            let store = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? store.close() }
            return try await store.read { db in
                guard try db.tableExists("consumer_offset") && db.tableExists("outbox") else { return ([:], 0) }
                var applied: [KafkaTopicPartition: Int64] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT partition, next_offset FROM consumer_offset WHERE topic = ?", arguments: [input]) {
                    applied[KafkaTopicPartition(topic: input, partition: row["partition"])] = row["next_offset"]
                }
                return (applied, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox") ?? 0)
            }
        }

        // Each round: a chunk arrives, the processor starts on it, and is killed with part of
        // it applied. A processor that got through a whole chunk before it was caught gets
        // another one, so how fast it runs only changes how many messages the test sends.
        // Whether the kill interrupted work is read from its store once it is gone.
        var child = try ChildProcess("CrashTestProcessor", environment: environment)
        var interrupted = 0
        var sent = 0
        for round in 0..<Self.kills {
            let before = sent
            var caught = false
            for _ in 0..<Self.chunksPerRound where !caught {
                _ = try await producer.send((sent..<sent + Self.chunk).map { KafkaProducerMessage(topic: input, key: "k\($0 % Self.keys)", value: Array("\($0)".utf8)) })
                sent += Self.chunk
                caught = try await catchMidway(applied: { Int(try await stored().applied.values.reduce(0, +)) }, after: before, before: sent)
            }
            guard caught else {
                throw CrashTestFailure(description: "round \(round + 1): the processor applied each of \(Self.chunksPerRound) chunks of \(Self.chunk) before it could be caught part-way")
            }
            // Killed at once: the ends (nothing else writes the input) are read afterwards, since
            // on a loaded machine reading them first gave the processor time to finish.
            child.signal(SIGKILL)
            _ = await child.waitForExit(timeout: .seconds(10))
            var ends: [KafkaTopicPartition: Int64] = [:]
            for partition in partitions { ends[partition] = try await admin.watermarks(of: partition).high }
            let after = try await stored()
            let unapplied = ends.reduce(0) { $0 + max(0, $1.value - (after.applied[$1.key] ?? 0)) }
            print("crash test: kill \(round + 1): \(unapplied) messages that had arrived not yet applied, \(after.outbox) outputs not yet sent")
            if unapplied > 0 || after.outbox > 0 { interrupted += 1 }
            child = try ChildProcess("CrashTestProcessor", environment: environment)
        }
        let total = sent
        row.injected = "\(Self.kills) kills, \(interrupted) with work in flight"
        row.check(interrupted == Self.kills, "\(Self.kills - interrupted) kills found nothing unfinished")

        let database = try DatabaseQueue(path: path, configuration: configuration)
        try await waitUntil("the processor has applied every message", timeout: .seconds(180), interval: .milliseconds(500)) {
            try await stored().applied.values.reduce(0, +) >= total
        }
        try await waitUntil("the outbox is drained", timeout: .seconds(60), interval: .milliseconds(200)) {
            try await stored().outbox == 0
        }
        child.signal(SIGTERM)
        let exit = await child.waitForExit(timeout: .seconds(20))
        row.check(exit == 0, "the processor did not stop cleanly")

        let counts = try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT key, n FROM counts").reduce(into: [String: Int]()) { $0[$1["key"]] = $1["n"] }
        }
        let perKey = total / Self.keys
        let short = (0..<Self.keys).reduce(0) { $0 + max(0, perKey - (counts["k\($1)"] ?? 0)) }
        let counted = counts.values.reduce(0, +)
        let appliedTwice = counts.values.reduce(0) { $0 + max(0, $1 - perKey) }
        row.check(appliedTwice == 0, "\(appliedTwice) messages counted twice")

        // Every expected output is on the topic (its identity is the input's position); repeats
        // carry the same identity (harmless re-sends).
        let outputs = try await EventTally.read([output], id: { String(decoding: $0.value ?? [], as: UTF8.self) })
        var expected = Set<String>()
        for partition in partitions {
            let end = try await admin.watermarks(of: partition).high
            for offset in 0..<end { expected.insert("\(partition.partition):\(offset)") }
        }
        row.check(expected.count == total, "the input holds \(expected.count) messages, \(total) were sent")
        let unexpected = outputs.ids.subtracting(expected).count
        row.check(unexpected == 0, "\(unexpected) outputs for no input")
        row.messages = "\(total) messages"
        row.lost = short + expected.subtracting(outputs.ids).count
        row.duplicated(outputs.repeats + appliedTwice, "re-sends (same id), \(appliedTwice) counted twice")
        print("crash test: \(Self.kills) SIGKILLs (\(interrupted) with work in flight); counted \(counted) of \(total) messages (per key \(perKey)); output topic holds \(outputs.ids.count) distinct events of \(total) expected, \(outputs.repeats) re-sends with the same id")
        return "exact counts, every output present"
    }

    /// Polls the processor's progress until it has applied some but not all of what was sent
    /// (true), or all of it (false: it was too quick to be caught this time).
    func catchMidway(applied: () async throws -> Int, after: Int, before sent: Int) async throws -> Bool {
        var midway = false
        try await waitUntil("the processor has applied some of messages \(after)..<\(sent)", timeout: .seconds(120), interval: .milliseconds(5)) {
            let done = try await applied()
            midway = done > after && done < sent
            return midway || done >= sent
        }
        return midway
    }
}

/// The test could not arrange what it measures.
struct CrashTestFailure: Error, CustomStringConvertible {
    let description: String
}
