// Sends outbox rows to Kafka in order and deletes them once acknowledged.

import Foundation
import GRDB
import Kafka
import Logging
import Metrics
import ServiceLifecycle

/// Drains a store's outbox through an idempotent producer (docs/architecture.md §6).
///
/// Rows go out in id order, a batch at a time; a row is deleted only after its delivery report
/// succeeded. While the broker is away, sends fail or time out and the relay backs off (up to
/// ``maximumBackoff``) and tries again, so rows wait in the outbox, never lost. A crash between
/// delivery and deletion re-sends a row with the same bytes (same CloudEvent id); consumers
/// dedupe. On graceful shutdown it keeps draining for at most ``shutdownDrainTimeout``.
public final class OutboxRelay: Service, Sendable {
    private let store: ServiceStore
    private let producer: KafkaProducer
    private let logger: Logger
    private let batchSize: Int
    /// Longest pause between attempts while the broker is unreachable.
    public let maximumBackoff: Duration
    /// How long shutdown keeps draining.
    public let shutdownDrainTimeout: Duration
    private let wakeups = WakeSignal()
    private let depthGauge: Gauge
    private let ageGauge: Gauge
    private let sentCounter: Counter
    private let failedCounter: Counter

    /// Creates a relay.
    /// - Parameters:
    ///   - store: The store whose outbox it drains.
    ///   - producer: An idempotent producer.
    ///   - service: The service name, for metric labels.
    ///   - batchSize: Rows per send.
    public init(
        store: ServiceStore, producer: KafkaProducer, service: String, batchSize: Int = 2_000,
        maximumBackoff: Duration = .seconds(5), shutdownDrainTimeout: Duration = .seconds(10), logger: Logger
    ) {
        self.store = store
        self.producer = producer
        self.logger = logger
        self.batchSize = batchSize
        self.maximumBackoff = maximumBackoff
        self.shutdownDrainTimeout = shutdownDrainTimeout
        depthGauge = Gauge(label: "outbox_pending_events", dimensions: [("service", service)])
        ageGauge = Gauge(label: "outbox_oldest_age_seconds", dimensions: [("service", service)])
        sentCounter = Counter(label: "outbox_sent_total", dimensions: [("service", service)])
        failedCounter = Counter(label: "outbox_send_failures_total", dimensions: [("service", service)])
    }

    /// Tells the relay that new rows were committed (it also looks every second by itself).
    public func wake() {
        wakeups.signal()
    }

    /// Relays until graceful shutdown, then drains for a bounded time.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var backoff = Duration.milliseconds(100)
            while !Task.isCancelled {
                do {
                    let sent = try await self.relayOnce()
                    backoff = .milliseconds(100)
                    if sent == 0 { await self.wakeups.wait(timeout: .seconds(1)) }
                } catch {
                    self.failedCounter.increment()
                    self.logger.warning("outbox relay: sending failed; will retry", metadata: ["error": "\(error)", "retryIn": "\(backoff)"])
                    try? await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, self.maximumBackoff)
                }
            }
        }
        let deadline = ContinuousClock.now + shutdownDrainTimeout
        while ContinuousClock.now < deadline, let sent = try? await relayOnce(), sent > 0 {}
        let left = (try? await store.read { try Outbox.depth(in: $0).count }) ?? -1
        if left != 0 { logger.warning("outbox relay stopped with rows left; they go out at the next start", metadata: ["rows": "\(left)"]) }
    }

    /// Sends the oldest batch; returns how many rows were delivered and deleted.
    /// - Throws: The first delivery failure, after deleting the rows that were delivered.
    @discardableResult
    public func relayOnce() async throws -> Int {
        let size = batchSize
        let rows = try await store.read { try Outbox.oldest(size, in: $0) }
        guard !rows.isEmpty else {
            depthGauge.record(0)
            ageGauge.record(0)
            return 0
        }
        let results = await producer.deliver(rows.map(\.message))
        var delivered: [Int64] = []
        var firstFailure: KafkaError?
        for (row, result) in zip(rows, results) {
            switch result {
            case .success: delivered.append(row.id)
            case .failure(let error): firstFailure = firstFailure ?? error
            }
        }
        let ids = delivered
        let depth = try await store.write { db in
            try Outbox.delete(ids: ids, in: db)
            return try Outbox.depth(in: db)
        }
        sentCounter.increment(by: delivered.count)
        depthGauge.record(depth.count)
        ageGauge.record(depth.oldestAge)
        if let firstFailure { throw firstFailure }
        return delivered.count
    }
}
