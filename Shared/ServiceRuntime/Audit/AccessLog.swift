// access.logged events, durable before the response that disclosed the data leaves.

import Foundation
import Kafka
import Metrics
import RegistrySchema
import Synchronization

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

    private struct Pending {
        let messages: [KafkaProducerMessage]
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var pending: [Pending] = []
        var committing = false
    }

    private let store: ServiceStore
    private let relay: OutboxRelay
    private let topic: String
    private let source: String
    private let state = Mutex(State())
    private let recorded: Counter
    private let commits: Counter
    private let failures: Counter

    /// Creates the log of one service.
    /// - Parameters:
    ///   - store: The service's store (its outbox).
    ///   - relay: Woken after each commit.
    ///   - topics: Topic names with the environment's prefix.
    ///   - service: The service name, for metric labels.
    ///   - source: The CloudEvent `source` of the service's events.
    public init(store: ServiceStore, relay: OutboxRelay, topics: TopicNames, service: String, source: String) {
        self.store = store
        self.relay = relay
        self.topic = topics.name(for: .accessLogged)
        self.source = source
        recorded = Counter(label: "access_logged_total", dimensions: [("service", service)])
        commits = Counter(label: "access_log_commits_total", dimensions: [("service", service)])
        failures = Counter(label: "access_log_failures_total", dimensions: [("service", service)])
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
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let leads = state.withLock { state -> Bool in
                state.pending.append(Pending(messages: messages, continuation: continuation))
                guard !state.committing else { return false }
                state.committing = true
                return true
            }
            // The first request to find no commit running starts one; it ends when nothing waits.
            if leads { Task { await self.commitWhilePending() } }
        }
    }

    private func commitWhilePending() async {
        while true {
            let batch = state.withLock { state -> [Pending] in
                let batch = state.pending
                state.pending = []
                if batch.isEmpty { state.committing = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            let messages = batch.flatMap(\.messages)
            do {
                try await store.write { db in
                    for message in messages { try Outbox.append(message, in: db) }
                }
                commits.increment()
                recorded.increment(by: messages.count)
                relay.wake()
                for pending in batch { pending.continuation.resume() }
            } catch {
                failures.increment(by: batch.count)
                let failure = Unrecorded(underlying: "\(error)")
                for pending in batch { pending.continuation.resume(throwing: failure) }
            }
        }
    }
}
