// Sends due deliveries concurrently, records every attempt, and plans the retries.

import Foundation
import Kafka
import Logging
import Metrics
import RegistrySchema
import ServiceLifecycle
import ServiceRuntime
import Synchronization

/// The webhook delivery engine (docs/architecture.md §5.2, §6).
///
/// It reads due deliveries from the store, sends each in its own task, and records the attempt,
/// the delivery's new state and a `notification.outcome.v1` event in one transaction. Every
/// attempt carries the event id as `webhook-id`. The state lives in the store, so a crash re-sends
/// at most the attempts that were in flight. Per (subscription, order key) one delivery is in
/// flight at a time and only the oldest unfinished one is tried, so a person's changes arrive in
/// order; many subscriptions go out at once up to ``concurrency``, and at most
/// ``receiverConcurrency`` requests go to one receiver (`host:port`), so one slow receiver cannot
/// take every slot. When nothing can start, it sleeps until the next retry falls due or an attempt
/// finishes or new deliveries are committed. It also drops finished history older than
/// ``retention``.
public final class DeliveryEngine: Service, Sendable {
    let store: ServiceStore
    let relay: OutboxRelay
    /// The limit on one attempt (`WEBHOOK_TIMEOUT`).
    let timeout: Duration
    let schedule: RetrySchedule
    let concurrency: Int
    let receiverConcurrency: Int
    let retention: Duration
    let outcomeTopic: String
    let source: String
    /// `WEBHOOK_ALLOW_LOCAL`: receivers on loopback and private addresses are allowed.
    let allowLocal: Bool
    let logger: Logger
    /// Signalled when deliveries were queued or an attempt finished.
    let wakeups: WakeSignal
    /// With several instances: attempts start only while the group confirms this instance's
    /// partitions (``DeliveryOwnership/leaseHolds``).
    let ownership: DeliveryOwnership?

    private struct State {
        var inFlight: Set<Int64> = []
        /// The lanes of the attempts in flight.
        var inFlightLanes: Set<DueDelivery.Lane> = []
        var perReceiver: [String: Int] = [:]
        /// Deliveries whose attempt could not be recorded, held back until then.
        var coolingDown: [Int64: ContinuousClock.Instant] = [:]
        var stopping = false
        var lastPurge = ContinuousClock.now - .seconds(3600)
    }
    private let state = Mutex(State())
    private let attemptsCounter = Counter(label: "webhook_attempts_total")
    private let deliveredCounter = Counter(label: "webhook_delivered_total")
    private let deadCounter = Counter(label: "webhook_dead_total")
    private let latencyTimer = Metrics.Timer(label: "webhook_delivery_latency_seconds")

    init(
        store: ServiceStore, relay: OutboxRelay, timeout: Duration, schedule: RetrySchedule, concurrency: Int, receiverConcurrency: Int,
        retention: Duration, outcomeTopic: String, source: String, allowLocal: Bool, wakeups: WakeSignal, ownership: DeliveryOwnership? = nil,
        logger: Logger
    ) {
        self.store = store
        self.relay = relay
        self.timeout = timeout
        self.schedule = schedule
        self.concurrency = concurrency
        self.receiverConcurrency = receiverConcurrency
        self.retention = retention
        self.outcomeTopic = outcomeTopic
        self.source = source
        self.allowLocal = allowLocal
        self.wakeups = wakeups
        self.ownership = ownership
        self.logger = logger
    }

    /// Delivers until graceful shutdown, then lets the attempts in flight finish (each is bounded
    /// by the timeout) and closes the HTTP client.
    public func run() async throws {
        try await run(resolving: SystemResolver())
    }

    /// ``run()`` with receivers' names resolved by `resolver` (tests control what names mean).
    func run(resolving resolver: any WebhookResolver) async throws {
        // The client lives exactly as long as the engine runs (it must be shut down explicitly).
        let sender = WebhookSender(timeout: timeout, connectionsPerReceiver: receiverConcurrency, resolver: resolver, allowLocal: allowLocal)
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                while !self.state.withLock({ $0.stopping }) && !Task.isCancelled {
                    var pause = Duration.seconds(1)
                    do {
                        try await self.purgeIfDue()
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
    /// - Returns: How long to wait at most before looking again (an attempt's end or new
    ///   deliveries wake the engine earlier).
    private func dispatchDue(into group: inout DiscardingTaskGroup, sender: WebhookSender) async throws -> Duration {
        let clock = ContinuousClock.now
        let (excluded, busy, lanesInFlight, free) = state.withLock { s in
            s.coolingDown = s.coolingDown.filter { $0.value > clock }
            return (
                s.inFlight.union(s.coolingDown.keys), Set(s.perReceiver.filter { $0.value >= receiverConcurrency }.keys), s.inFlightLanes.count,
                concurrency - s.inFlight.count
            )
        }
        guard free > 0 else { return .seconds(1) }
        // Not confirmed a member (just paused past the session, or the broker is away): no attempt.
        if let ownership, !ownership.leaseHolds { return .milliseconds(200) }
        // Every receiver at its limit: nothing can start until an attempt ends (which wakes us).
        // Without this, each newly routed event would make the due query skip over every waiting
        // delivery of the busy receivers: with one slow receiver and a large backlog that scan
        // was the whole cost of delivery.
        if !busy.isEmpty, try await store.read({ try DeliveryQueue($0).activeReceivers() }).isSubset(of: busy) { return .seconds(1) }
        let now = Timestamp(.now).milliseconds
        let due = try await store.read { db in
            try DeliveryQueue(db).due(now: now, excluding: excluded, busyReceivers: busy, limit: free + lanesInFlight)
        }
        var started = 0
        for delivery in due {
            let admitted = state.withLock { s -> Bool in
                guard s.inFlight.count < concurrency, s.perReceiver[delivery.receiver, default: 0] < receiverConcurrency,
                    !s.inFlightLanes.contains(delivery.lane)
                else { return false }
                s.inFlight.insert(delivery.id)
                s.inFlightLanes.insert(delivery.lane)
                s.perReceiver[delivery.receiver, default: 0] += 1
                return true
            }
            guard admitted else { continue }
            started += 1
            group.addTask {
                let recorded = await self.attempt(delivery, sender: sender)
                self.state.withLock { s in
                    s.inFlight.remove(delivery.id)
                    s.inFlightLanes.remove(delivery.lane)
                    s.perReceiver[delivery.receiver, default: 1] -= 1
                    if s.perReceiver[delivery.receiver] == 0 { s.perReceiver[delivery.receiver] = nil }
                    if !recorded { s.coolingDown[delivery.id] = .now + .seconds(5) }
                }
                self.wakeups.signal()
            }
        }
        // Something is due but could not start (slots, order): the end of an attempt wakes us.
        if !due.isEmpty { return .seconds(1) }
        let next = try await store.read { db in
            try DeliveryQueue(db).nextDue(after: now, excluding: excluded, busyReceivers: busy)
        }
        guard let next else { return .seconds(1) }
        return .milliseconds(max(5, min(1_000, next - Timestamp(.now).milliseconds)))
    }

    /// Every 10 minutes, drops finished history older than the retention.
    private func purgeIfDue() async throws {
        let due = state.withLock { s -> Bool in
            guard ContinuousClock.now - s.lastPurge >= .seconds(600) else { return false }
            s.lastPurge = .now
            return true
        }
        guard due else { return }
        let before = Timestamp(.now).milliseconds - retention.milliseconds
        let purged = try await store.write { try DeliveryQueue($0).purge(before: before) }
        if purged > 0 { logger.info("dropped delivered history past the retention", metadata: ["events": "\(purged)"]) }
    }

    /// The span of one webhook attempt.
    static let spanName = "POST webhook"

    /// One attempt: sign, send (with the event's trace, in a client span when spans are
    /// exported), record.
    /// - Returns: Whether the attempt was recorded (if not, the delivery is sent again later).
    func attempt(_ delivery: DueDelivery, sender: WebhookSender) async -> Bool {
        let timestamp = Int64(Date().timeIntervalSince1970)
        var headers = WebhookSignature.headers(id: delivery.eventID, timestamp: timestamp, body: delivery.body, key: delivery.key)
        // Checked again just before sending: the process may have been stopped since it was dispatched.
        if let ownership, !ownership.leaseHolds { return false }
        let started = ContinuousClock.now
        let (result, trace) = await EventTracing.withSpan(Self.spanName, kind: .client, continuing: delivery.trace) { trace in
            if let trace {
                headers.append((EventTrace.traceparentName, trace.traceparent))
                if let state = trace.tracestate { headers.append((EventTrace.tracestateName, state)) }
            }
            return (await sender.post(delivery.url, body: delivery.body, headers: headers), trace)
        }
        let elapsed = ContinuousClock.now - started
        attemptsCounter.increment()
        latencyTimer.recordNanoseconds(elapsed.milliseconds * 1_000_000)
        do {
            let outcome = try await store.write { db in
                let outcome = try DeliveryQueue(db).record(
                    delivery, result: result, latencyMs: Int(elapsed.milliseconds), schedule: self.schedule, now: Timestamp(.now).milliseconds)
                // The subject (the person, or the dwelling) puts the delivery into their audit trail.
                // A new id for each recorded attempt, not subscription/event/attempt: a delivery
                // queued again after a restart or a handover counts its attempts anew, and reused
                // ids then named different outcomes (the fault suite saw it). Re-sends of this one
                // come from its outbox row, with this id.
                let event = CloudEvent(
                    id: EventID.make(), source: self.source, type: NotificationOutcome.eventType.rawValue,
                    time: Timestamp(.now), subject: delivery.orderKey, data: outcome, trace: trace)
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
            return true
        } catch {
            // Not recorded: the delivery stays due and is sent again after a pause (same webhook-id).
            logger.error("could not record a delivery attempt", metadata: ["delivery": "\(delivery.id)", "error": "\(error)"])
            return false
        }
    }
}
