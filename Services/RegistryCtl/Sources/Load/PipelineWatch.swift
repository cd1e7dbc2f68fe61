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
        acceptedStarts = try await admin.watermarks(of: accepted).mapValues(\.high)
        startAccepted = acceptedStarts.values.reduce(0, +)
        startSubmitted = try await end(of: submitted)
    }

    private func end(of partitions: [KafkaTopicPartition]) async throws -> Int64 {
        try await admin.watermarks(of: partitions).values.reduce(0) { $0 + $1.high }
    }

    /// Sums a group's committed offsets over `partitions`, counting from the watch's start.
    private func committed(_ service: String, _ partitions: [KafkaTopicPartition], start: Int64) async throws -> Int64 {
        let offsets = try await admin.committedOffsets(group: names.prefix + service, partitions: partitions)
        return max(0, offsets.values.reduce(0, +) - start)
    }

    /// Reads the offsets now (the consumers' first, so a count never runs ahead of the ends).
    /// - Parameter auditGroups: The audit instances' reading groups (``auditGroups()``).
    func progress(auditGroups: [String]) async throws -> Progress {
        let indexed = try await committed("address-index", accepted, start: startAccepted)
        var audited: Int64?
        for group in auditGroups {
            let held = try await committed(group.dropFirst(names.prefix.count).description, accepted, start: startAccepted)
            audited = min(audited ?? held, held)
        }
        let decided = try await committed("registration-intake", submitted, start: startSubmitted)
        let acceptedNow = try await end(of: accepted) - startAccepted
        return Progress(decided: decided, accepted: acceptedNow, indexed: indexed, audited: audited ?? 0)
    }

    /// The reading groups of the audit instances there are now (`audit.read.<instance>`).
    func auditGroups() async throws -> [String] {
        try await admin.listGroups().filter { $0.hasPrefix(names.prefix + "audit.read.") }
    }

    /// The accepted events published since the start, counted by reading them.
    func acceptedEvents(bootstrap: KafkaClientConfiguration, logger: Logger) async throws -> Int64 {
        let ends = try await admin.watermarks(of: accepted).mapValues(\.high)
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
        let end = try await admin.watermarks(of: partitions).values.reduce(0) { $0 + $1.high }
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
    ///
    /// The watch is itself load on the broker and the machine it measures, so it asks four times
    /// a second (the end's resolution), and a question the busy broker does not answer in time
    /// is asked again rather than ending the run; only 2 minutes without progress end it.
    func waitUntilDone(submissions: Int64, poll: Duration = .milliseconds(250), report: (Progress) -> Void) async throws -> Progress {
        var lastReport = ContinuousClock.now
        var lastChange = (ContinuousClock.now, Progress(decided: -1, accepted: 0, indexed: 0, audited: 0))
        var groups = try await auditGroups()
        var groupsRead = ContinuousClock.now
        var unanswered: (any Error)?
        while true {
            if ContinuousClock.now - groupsRead >= .seconds(5), let found = try? await auditGroups() { (groups, groupsRead) = (found, .now) }
            do {
                let now = try await progress(auditGroups: groups)
                unanswered = nil
                if now.decided >= submissions, now.indexed >= now.accepted, now.audited >= now.accepted { return now }
                if now != lastChange.1 { lastChange = (.now, now) }
            } catch {
                unanswered = error
            }
            if ContinuousClock.now - lastChange.0 > .seconds(120) {
                let now = lastChange.1
                throw LoadError(
                    "the pipeline made no progress for 2 minutes (decided \(now.decided) of \(submissions), indexed \(now.indexed), audited \(now.audited) of \(now.accepted) accepted)"
                        + (unanswered.map { "; the broker's last answer: \($0)" } ?? ""))
            }
            if ContinuousClock.now - lastReport >= .seconds(5), lastChange.1.decided >= 0 {
                report(lastChange.1)
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
