// access.logged events, durable before the response that disclosed the data leaves.

import Foundation
import Kafka
import Metrics
import RegistrySchema

/// Writes `kz.registry.access.logged.v1` events to the service's outbox (docs/architecture.md §5.1, §6).
///
/// ``record(_:)`` returns only once its event is committed to the store, so a response that is
/// sent after it can never outlive its audit record; the relay publishes it to
/// `access.logged.v1` like every other outgoing event. Requests arriving while a commit runs
/// wait for the next one, which takes all of them in one transaction (group commit): under
/// load one SQLite commit serves many lookups.
public final class AccessLog: Sendable {
    /// The access could not be recorded, so the data must not be disclosed.
    public struct Unrecorded: Error, CustomStringConvertible {
        /// Why the commit failed.
        public let underlying: String
        public var description: String { "the access could not be recorded: \(underlying)" }
    }

    private let commits: GroupCommit<[KafkaProducerMessage], Void>
    private let topic: String
    private let source: String
    private let recorded: Counter
    private let failures: Counter

    /// Creates the log of one service.
    /// - Parameters:
    ///   - store: The service's store (its outbox).
    ///   - relay: Woken after each commit.
    ///   - topics: Topic names with the environment's prefix.
    ///   - service: The service name, for metric labels.
    ///   - source: The CloudEvent `source` of the service's events.
    public init(store: ServiceStore, relay: OutboxRelay, topics: TopicNames, service: String, source: String) {
        self.topic = topics.name(for: .accessLogged)
        self.source = source
        recorded = Counter(label: "access_logged_total", dimensions: [("service", service)])
        failures = Counter(label: "access_log_failures_total", dimensions: [("service", service)])
        let transactions = Counter(label: "access_log_commits_total", dimensions: [("service", service)])
        commits = GroupCommit(
            store: store,
            commit: { db, requests in
                for message in requests.joined() { try Outbox.append(message, in: db) }
                return requests.map { _ in () }
            },
            didCommit: {
                transactions.increment()
                relay.wake()
            })
    }

    /// The outbox message of an access record: what ``record(_:)`` commits, and what a
    /// processor that discloses in a consumed batch emits in its own transaction.
    /// - Parameters:
    ///   - topic: `access.logged.v1` with the environment's prefix.
    ///   - source: The CloudEvent `source` of the recording service.
    public static func message(_ access: AccessLogged, topic: String, source: String) throws -> KafkaProducerMessage {
        let event = CloudEvent(id: EventID.make(), source: source, time: access.at, data: access)
        return try KafkaProducerMessage.event(event, topic: topic, key: access.actor.sub)
    }

    /// Commits one access record and returns when it is durable.
    /// - Throws: ``Unrecorded`` when the store refused the commit.
    public func record(_ access: AccessLogged) async throws {
        try await record([access])
    }

    /// Commits access records together (one disclosure split into several events) and returns
    /// when they are durable.
    /// - Throws: ``Unrecorded`` when the store refused the commit.
    public func record(_ accesses: [AccessLogged]) async throws {
        let messages = try accesses.map { try Self.message($0, topic: topic, source: source) }
        guard !messages.isEmpty else { return }
        do {
            try await commits.submit(messages)
        } catch {
            failures.increment()
            throw Unrecorded(underlying: "\(error)")
        }
        recorded.increment(by: messages.count)
    }
}
