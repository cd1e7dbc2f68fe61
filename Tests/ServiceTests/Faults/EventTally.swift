// Everything a set of topics holds, counted by event id: what fault rows count repeats and losses on.

import Foundation
import Kafka
import RegistrySchema
import TestSupport

/// The messages of some topics, counted by id without keeping them: how many copies of each id
/// there are, and whether the copies of an id are the same bytes.
struct EventTally: Sendable {
    /// Copies per id.
    private(set) var copies: [String: Int] = [:]
    /// Ids whose copies are not byte for byte the same (a repeat must be the same event).
    private(set) var differing: Set<String> = []
    private var fingerprints: [String: Int] = [:]
    /// Messages read.
    private(set) var messages = 0

    /// The distinct ids.
    var ids: Set<String> { Set(copies.keys) }
    /// Messages beyond the first of each id: re-sends.
    var repeats: Int { messages - copies.count }

    mutating func add(id: String, value: [UInt8]) {
        messages += 1
        copies[id, default: 0] += 1
        var hasher = Hasher()
        hasher.combine(value)
        let fingerprint = hasher.finalize()
        if let seen = fingerprints[id] {
            if seen != fingerprint { differing.insert(id) }
        } else {
            fingerprints[id] = fingerprint
        }
    }

    /// The CloudEvent id of a message (what the services' outputs are identified by).
    /// - Throws: ``Unreadable`` for a value that is not a CloudEvent.
    static func cloudEventID(_ message: KafkaConsumerMessage) throws -> String {
        // A tombstone (no value) on a compacted topic is its own message, never a repeat.
        guard message.value != nil else { return "tombstone \(message.topic)/\(message.partition)/\(message.offset)" }
        do {
            return try RegistryEventDecoder().decodeAttributes(from: message.value ?? []).id
        } catch {
            throw Unreadable(description: "\(message.topic)/\(message.partition)/\(message.offset) is not a CloudEvent: \(error)")
        }
    }

    /// A message without the identity a tally counts by.
    struct Unreadable: Error, CustomStringConvertible {
        let description: String
    }

    /// A submission's `source` and `id` as intake reads them however broken the rest is (what
    /// its decision names), or `unreadable topic/partition/offset` for one without them.
    static func submissionKey(_ message: KafkaConsumerMessage) -> String {
        guard let reference = RegistryEventDecoder().submissionReference(from: Data(message.value ?? [])) else {
            return "unreadable \(message.topic)/\(message.partition)/\(message.offset)"
        }
        return "\(reference.source) \(reference.id)"
    }

    /// For a decision (`registration.accepted` or `.rejected`), the submission it decides
    /// (`source id`) and its own event id; `nil` for any other message.
    static func decision(_ message: KafkaConsumerMessage) throws -> (submission: String, id: String)? {
        guard let value = message.value else { return nil }
        let submission: SubmissionReference
        switch try RegistryEventDecoder().decodeEvent(from: value) {
        case .registrationAccepted(let event): submission = event.data.submission
        case .registrationRejected(let event): submission = event.data.submission
        default: return nil
        }
        return ("\(submission.source) \(submission.id)", try cloudEventID(message))
    }

    /// Reads every message `topics` hold now (up to their partitions' ends, found first) from the
    /// beginning, and counts them by `id`; `inspect` sees each message too. A partition is done
    /// once a message or the partition's end reaches the end it had: the ends also count the
    /// markers of producers' transactions, which are not messages.
    static func read(
        _ topics: [String], bootstrapServers: String? = nil, timeout: Duration = .seconds(300),
        id: @escaping @Sendable (KafkaConsumerMessage) throws -> String = cloudEventID,
        inspect: @escaping @Sendable (KafkaConsumerMessage) throws -> Void = { _ in }
    ) async throws -> EventTally {
        let consumer = try reader(bootstrapServers)
        let ends = try await self.ends(topics, by: consumer).filter { $0.value > 0 }
        try consumer.subscribe(to: topics)
        defer { Task { await consumer.close() } }
        return try await withTimeout("reading \(topics.joined(separator: ",")) up to offsets \(ends.values.reduce(0, +))", timeout) { [consumer] in
            var tally = EventTally()
            var done: Set<KafkaTopicPartition> = []
            guard !ends.isEmpty else { return tally }
            for await batch in consumer.batches {
                for message in batch.messages {
                    try inspect(message)
                    tally.add(id: try id(message), value: message.value ?? [])
                    if message.offset + 1 >= ends[message.topicPartition] ?? 0 { done.insert(message.topicPartition) }
                }
                for (partition, end) in batch.endOffsets where end >= ends[partition] ?? 0 { done.insert(partition) }
                if done.isSuperset(of: ends.keys) { break }
            }
            return tally
        }
    }

    /// How many messages `topics` hold now: the sum of their partitions' ends.
    static func held(_ topics: [String], bootstrapServers: String? = nil) async throws -> Int64 {
        let consumer = try reader(bootstrapServers)
        defer { Task { await consumer.close() } }
        return try await held(topics, by: consumer)
    }

    private static func held(_ topics: [String], by consumer: KafkaConsumer) async throws -> Int64 {
        var held: Int64 = 0
        for partition in try await consumer.partitions(of: topics) {
            let marks = try await consumer.watermarks(of: partition)
            held += marks.high - marks.low
        }
        return held
    }

    /// Each partition's end (high watermark) now.
    private static func ends(_ topics: [String], by consumer: KafkaConsumer) async throws -> [KafkaTopicPartition: Int64] {
        var ends: [KafkaTopicPartition: Int64] = [:]
        for partition in try await consumer.partitions(of: topics) { ends[partition] = try await consumer.watermarks(of: partition).high }
        return ends
    }

    private static func reader(_ bootstrapServers: String?) throws -> KafkaConsumer {
        var client = try TestBroker.clientConfiguration("tally")
        if let bootstrapServers { client.bootstrapServers = bootstrapServers }
        return try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: client, groupID: TestBroker.uniqueName("tally")), logger: TestBroker.logger)
    }
}
