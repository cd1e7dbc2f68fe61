// Sends due deliveries concurrently, records every attempt, and plans the retries.

import Foundation
import Kafka
import Logging
import Metrics
import RegistrySchema
import ServiceLifecycle
import ServiceRuntime
import Synchronization

/// The webhook delivery engine (DESIGN §5.2, §6).
///
/// It reads due deliveries from the store, sends each in its own task, and records the attempt,
/// the delivery's new state and a `notification.outcome.v1` event in one transaction. Every
/// attempt carries the event id as `webhook-id`. The state lives in the store, so a crash re-sends
/// at most the attempts that were in flight. Per (subscription, order key) only the oldest
/// unfinished delivery is tried, so a person's changes arrive in order; many subscriptions go
/// out at once up to ``concurrency``, and at most ``receiverConcurrency`` requests go to one
/// receiver (`host:port`), so one slow receiver cannot take every slot.
public final class DeliveryEngine: Service, Sendable {
    let store: ServiceStore
    let relay: OutboxRelay
    /// The limit on one attempt (`WEBHOOK_TIMEOUT`).
    let timeout: Duration
    let schedule: RetrySchedule
    let concurrency: Int
    let receiverConcurrency: Int
    let outcomeTopic: String
    let source: String
    let logger: Logger
    /// Signalled when deliveries were queued or an attempt finished.
    let wakeups: WakeSignal

    private struct State {
        var inFlight: Set<Int64> = []
        var perReceiver: [String: Int] = [:]
        var stopping = false
    }
    private let state = Mutex(State())
    private let attemptsCounter = Counter(label: "webhook_attempts_total")
    private let deliveredCounter = Counter(label: "webhook_delivered_total")
    private let deadCounter = Counter(label: "webhook_dead_total")
    private let latencyTimer = Metrics.Timer(label: "webhook_delivery_latency_seconds")

    init(
        store: ServiceStore, relay: OutboxRelay, timeout: Duration, schedule: RetrySchedule, concurrency: Int, receiverConcurrency: Int,
        outcomeTopic: String, source: String, wakeups: WakeSignal, logger: Logger
    ) {
        self.store = store
        self.relay = relay
        self.timeout = timeout
        self.schedule = schedule
        self.concurrency = concurrency
        self.receiverConcurrency = receiverConcurrency
        self.outcomeTopic = outcomeTopic
        self.source = source
        self.wakeups = wakeups
        self.logger = logger
    }

    /// Delivers until graceful shutdown, then lets the attempts in flight finish (each is bounded
    /// by the timeout) and closes the HTTP client.
    public func run() async throws {
        // The client lives exactly as long as the engine runs (it must be shut down explicitly).
        let sender = WebhookSender(timeout: timeout)
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                while !self.state.withLock({ $0.stopping }) && !Task.isCancelled {
                    var pause = Duration.seconds(1)
                    do {
                        pause = try await self.dispatchDue(into: &group, sender: sender)
                    } catch {
                        self.logger.error("could not read due deliveries; will retry", metadata: ["error": "\(error)"])
                    }
                    await self.wakeups.wait(timeout: pause)
                }
            }
        } onGracefulShutdown: {
            self.state.withLock { $0.stopping = true }
            self.wakeups.signal()
        }
        await sender.shutdown()
    }

    /// Starts an attempt for every due delivery there is room for.
    /// - Returns: How long to wait for the next one at most.
    private func dispatchDue(into group: inout DiscardingTaskGroup, sender: WebhookSender) async throws -> Duration {
        let (inFlight, busy, free) = state.withLock { s in
            (s.inFlight, Set(s.perReceiver.filter { $0.value >= receiverConcurrency }.keys), concurrency - s.inFlight.count)
        }
        guard free > 0 else { return .seconds(1) }
        let now = Timestamp(.now).milliseconds
        let due = try await store.read { db in
            try DeliveryQueue(db).due(now: now, excluding: inFlight, busyReceivers: busy, limit: free)
        }
        for delivery in due {
            let admitted = state.withLock { s -> Bool in
                guard s.inFlight.count < concurrency, s.perReceiver[delivery.receiver, default: 0] < receiverConcurrency else { return false }
                s.inFlight.insert(delivery.id)
                s.perReceiver[delivery.receiver, default: 0] += 1
                return true
            }
            guard admitted else { continue }
            group.addTask {
                await self.attempt(delivery, sender: sender)
                self.state.withLock { s in
                    s.inFlight.remove(delivery.id)
                    s.perReceiver[delivery.receiver, default: 1] -= 1
                    if s.perReceiver[delivery.receiver] == 0 { s.perReceiver[delivery.receiver] = nil }
                }
                self.wakeups.signal()
            }
        }
        if !due.isEmpty { return .milliseconds(200) }
        let next = try await store.read { try DeliveryQueue($0).nextDue() }
        guard let next else { return .seconds(1) }
        return .milliseconds(max(5, min(1_000, next - Timestamp(.now).milliseconds)))
    }

    /// One attempt: sign, send, record.
    func attempt(_ delivery: DueDelivery, sender: WebhookSender) async {
        let timestamp = Int64(Date().timeIntervalSince1970)
        let headers = WebhookSignature.headers(id: delivery.eventID, timestamp: timestamp, body: delivery.body, key: delivery.key)
        let started = ContinuousClock.now
        let result = await sender.post(delivery.url, body: delivery.body, headers: headers)
        let elapsed = ContinuousClock.now - started
        attemptsCounter.increment()
        latencyTimer.recordNanoseconds(elapsed.milliseconds * 1_000_000)
        do {
            let outcome = try await store.write { db in
                let outcome = try DeliveryQueue(db).record(
                    delivery, result: result, latencyMs: Int(elapsed.milliseconds), schedule: self.schedule, now: Timestamp(.now).milliseconds)
                let event = CloudEvent(id: "\(delivery.subscription)/\(delivery.eventID)/\(outcome.attempt)", source: self.source, time: Timestamp(.now), data: outcome)
                try Outbox.append(try .event(event, topic: self.outcomeTopic, key: delivery.subscription), in: db)
                return outcome
            }
            relay.wake()
            switch outcome.status {
            case .delivered: deliveredCounter.increment()
            case .dead:
                deadCounter.increment()
                logger.warning("delivery is dead after its last attempt", metadata: [
                    "subscription": "\(delivery.subscription)", "event": "\(delivery.eventID)", "attempts": "\(outcome.attempt)", "error": "\(result.error ?? "")",
                ])
            case .retrying:
                logger.debug("delivery failed; will retry", metadata: ["subscription": "\(delivery.subscription)", "event": "\(delivery.eventID)", "error": "\(result.error ?? "")"])
            }
        } catch {
            // Not recorded: the delivery stays due and is sent again (same webhook-id).
            logger.error("could not record a delivery attempt", metadata: ["delivery": "\(delivery.id)", "error": "\(error)"])
        }
    }
}
