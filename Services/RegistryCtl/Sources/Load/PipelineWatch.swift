// Watching the pipeline work off a load, from the broker's offsets alone.

import Foundation
import Kafka
import Logging
import RegistrySchema

/// How far the services are with the submissions of a load, read from the broker: intake has
/// decided a submission when its group's committed offset passes it (intake commits where its
/// published decisions end); address-index has applied an accepted event when its group's
/// committed offsets pass it, audit when those of every audit instance's reading group
/// (`audit.read.<instance>`, which commits how far that instance's log holds each partition) do.
/// Offsets also count the markers of intake's transactions, so the accepted events are counted
/// exactly by reading them once the pipeline is done.
struct PipelineWatch {
    /// Where the pipeline stands.
    struct Progress: Equatable {
        /// Submissions decided since the start.
        var decided: Int64
        /// Offsets the accepted topic grew by since the start (its events, and transaction markers).
        var accepted: Int64
        /// Accepted events address-index has applied (its committed offsets).
        var indexed: Int64
        /// Accepted events audit has recorded (its committed offsets).
        var audited: Int64
    }

    let admin: KafkaAdmin
    let names: TopicNames
    private let accepted: [KafkaTopicPartition]
    private let submitted: [KafkaTopicPartition]
    private var startAccepted: Int64 = 0
    private var startSubmitted: Int64 = 0
    /// Where each accepted partition ended at the start.
    private var acceptedStarts: [KafkaTopicPartition: Int64] = [:]

    init(admin: KafkaAdmin, names: TopicNames) async throws {
        self.admin = admin
        self.names = names
        let topics = try await admin.listTopics()
        func partitions(_ topic: RegistryTopic) throws -> [KafkaTopicPartition] {
            let name = names.name(for: topic)
            guard let found = topics.first(where: { $0.name == name }) else { throw LoadError("topic \(name) does not exist: run registryctl topics create") }
            return found.partitions.map { KafkaTopicPartition(topic: name, partition: $0) }
        }
        accepted = try partitions(.registrationAccepted)
        submitted = try partitions(.registrationSubmitted)
        for partition in accepted { acceptedStarts[partition] = try await admin.watermarks(of: partition).high }
        startAccepted = acceptedStarts.values.reduce(0, +)
        startSubmitted = try await end(of: submitted)
    }

    private func end(of partitions: [KafkaTopicPartition]) async throws -> Int64 {
        var total: Int64 = 0
        for partition in partitions { total += try await admin.watermarks(of: partition).high }
        return total
    }

    /// Sums a group's committed offsets over `partitions`, counting from the watch's start.
    private func committed(_ service: String, _ partitions: [KafkaTopicPartition], start: Int64) async throws -> Int64 {
        let offsets = try await admin.committedOffsets(group: names.prefix + service, partitions: partitions)
        return max(0, offsets.values.reduce(0, +) - start)
    }

    /// Reads the offsets now (the consumers' first, so a count never runs ahead of the ends).
    func progress() async throws -> Progress {
        let indexed = try await committed("address-index", accepted, start: startAccepted)
        var audited: Int64?
        for group in try await admin.listGroups() where group.hasPrefix(names.prefix + "audit.read.") {
            let held = try await committed(group.dropFirst(names.prefix.count).description, accepted, start: startAccepted)
            audited = min(audited ?? held, held)
        }
        let decided = try await committed("registration-intake", submitted, start: startSubmitted)
        let acceptedNow = try await end(of: accepted) - startAccepted
        return Progress(decided: decided, accepted: acceptedNow, indexed: indexed, audited: audited ?? 0)
    }

    /// The accepted events published since the start, counted by reading them.
    func acceptedEvents(bootstrap: KafkaClientConfiguration, logger: Logger) async throws -> Int64 {
        var ends: [KafkaTopicPartition: Int64] = [:]
        for partition in accepted { ends[partition] = try await admin.watermarks(of: partition).high }
        let wanted = Set(accepted.filter { (ends[$0] ?? 0) > (acceptedStarts[$0] ?? 0) })
        guard !wanted.isEmpty else { return 0 }
        let starts = acceptedStarts
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(client: bootstrap, groupID: names.prefix + "registryctl-count-\(UUID().uuidString.prefix(8))"),
            hooks: KafkaRebalanceHooks(startOffsets: { Dictionary(uniqueKeysWithValues: $0.map { ($0, KafkaStartOffset.offset(starts[$0] ?? 0)) }) }),
            logger: logger)
        try await consumer.add(wanted)
        var count: Int64 = 0
        var done: Set<KafkaTopicPartition> = []
        for await batch in consumer.batches {
            count += Int64(batch.messages.count)
            for message in batch.messages where message.offset + 1 >= ends[message.topicPartition] ?? 0 { done.insert(message.topicPartition) }
            for (partition, end) in batch.endOffsets where end >= ends[partition] ?? 0 { done.insert(partition) }
            if done.isSuperset(of: wanted) { break }
        }
        await consumer.close()
        return count
    }

    /// Waits until the catalog consumers of intake, address-index and notification have read the
    /// catalog to its end: intake decides against the catalog as read, so submissions published
    /// earlier would be refused as naming unknown addresses.
    static func waitForCatalog(admin: KafkaAdmin, names: TopicNames, report: (Int64, Int64) -> Void) async throws {
        let topic = names.name(for: .addressCatalog)
        guard let metadata = try await admin.listTopics().first(where: { $0.name == topic }) else { throw LoadError("topic \(topic) does not exist") }
        let partitions = metadata.partitions.map { KafkaTopicPartition(topic: topic, partition: $0) }
        var end: Int64 = 0
        for partition in partitions { end += try await admin.watermarks(of: partition).high }
        let started = ContinuousClock.now
        var lastReport = started
        while true {
            var slowest = Int64.max
            for service in ["registration-intake", "address-index", "notification"] {
                let offsets = try await admin.committedOffsets(group: names.prefix + service + ".catalog", partitions: partitions)
                slowest = min(slowest, offsets.values.reduce(0, +))
            }
            if slowest >= end { return }
            if ContinuousClock.now - started > .seconds(300) { throw LoadError("the services did not read the catalog within 5 minutes (\(slowest) of \(end))") }
            if ContinuousClock.now - lastReport >= .seconds(5) {
                report(slowest, end)
                lastReport = .now
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Waits until every one of `submissions` is decided and every accepted event is in the
    /// index and the audit trail, printing progress every 5 s.
    /// - Returns: The final progress.
    func waitUntilDone(submissions: Int64, poll: Duration = .milliseconds(100), report: (Progress) -> Void) async throws -> Progress {
        var lastReport = ContinuousClock.now
        var lastChange = (ContinuousClock.now, Progress(decided: -1, accepted: 0, indexed: 0, audited: 0))
        while true {
            let now = try await progress()
            if now.decided >= submissions, now.indexed >= now.accepted, now.audited >= now.accepted { return now }
            if now != lastChange.1 { lastChange = (.now, now) }
            if ContinuousClock.now - lastChange.0 > .seconds(120) {
                throw LoadError("the pipeline made no progress for 2 minutes (decided \(now.decided) of \(submissions), indexed \(now.indexed), audited \(now.audited) of \(now.accepted) accepted)")
            }
            if ContinuousClock.now - lastReport >= .seconds(5) {
                report(now)
                lastReport = .now
            }
            try await Task.sleep(for: poll)
        }
    }
}

/// A load run that cannot go on; the message says why.
struct LoadError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
