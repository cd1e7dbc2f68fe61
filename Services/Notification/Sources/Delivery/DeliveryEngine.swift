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
/// the delivery's new state and a `notification.outcome.v1` event in one transaction (attempts
/// that end while another is being recorded share the next one: ``GroupCommit``). A receiver's
/// request slot is free again once it answers; the delivery stays in flight until it is recorded
/// (``DispatchRoom`` bounds how many may wait for that). Every
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
        /// What can start, given the attempts in flight.
        var room: DispatchRoom
        /// Deliveries whose attempt could not be recorded, held back until then.
        var coolingDown: [Int64: ContinuousClock.Instant] = [:]
        var stopping = false
        var lastPurge = ContinuousClock.now - .seconds(3600)
    }
    private let state: Mutex<State>
    /// Records attempts, those that end while a record commits together in the next transaction.
    private let records: GroupCommit<EndedAttempt, NotificationOutcome?>
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
        state = Mutex(State(room: DispatchRoom(concurrency: concurrency, receiverLimit: receiverConcurrency)))
        records = GroupCommit(
            store: store,
            commit: { db, attempts in
                let now = Timestamp(.now)
                let queue = DeliveryQueue(db)
                return try attempts.map { ended in
                    guard let outcome = try queue.record(
                        ended.delivery, result: ended.result, latencyMs: ended.latencyMs, schedule: schedule, now: now.milliseconds)
                    else { return nil }
                    // The subject (the person, or the dwelling) puts the delivery into their audit trail.
                    // A new id for each recorded attempt, not subscription/event/attempt: a delivery
                    // queued again after a restart or a handover counts its attempts anew, and reused
                    // ids then named different outcomes (the fault suite saw it). Re-sends of this one
                    // come from its outbox row, with this id.
                    let event = CloudEvent(
                        id: EventID.make(), source: source, type: NotificationOutcome.eventType.rawValue,
                        time: now, subject: ended.delivery.orderKey, data: outcome, trace: ended.trace)
                    try Outbox.append(try .event(event, topic: outcomeTopic, key: ended.delivery.subscription), in: db)
                    return outcome
                }
            },
            didCommit: { relay.wake() })
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
        let (excluded, room) = state.withLock { s in
            s.coolingDown = s.coolingDown.filter { $0.value > clock }
            return (s.inFlight.union(s.coolingDown.keys), s.room)
        }
        guard room.free > 0 else { return .seconds(1) }
        // Not confirmed a member (just paused past the session, or the broker is away): no attempt.
        if let ownership, !ownership.leaseHolds { return .milliseconds(200) }
        let now = Timestamp(.now).milliseconds
        let (due, waitForAttempts) = try await store.read { db in
            try DeliveryQueue(db).due(now: now, excluding: excluded, room: room, limit: room.free + room.lanes.count)
        }
        for delivery in due {
            let admitted = state.withLock { s -> Bool in
                guard s.room.take(receiver: delivery.receiver, lane: delivery.lane) else { return false }
                s.inFlight.insert(delivery.id)
                return true
            }
            guard admitted else { continue }
            group.addTask {
                let ended = await self.send(delivery, sender: sender)
                // The receiver answered: its slot is free while the attempt is recorded. The
                // delivery (and its lane) stays in flight until then, so it is not sent again.
                self.state.withLock { $0.room.release(receiver: delivery.receiver) }
                self.wakeups.signal()
                let recorded = if let ended { await self.record(ended) } else { false }
                self.state.withLock { s in
                    s.inFlight.remove(delivery.id)
                    s.room.finish(receiver: delivery.receiver, lane: delivery.lane)
                    if !recorded { s.coolingDown[delivery.id] = .now + .seconds(5) }
                }
                self.wakeups.signal()
            }
        }
        // Something is due but could not start (slots, order), or every receiver is at its limit:
        // the end of an attempt wakes us.
        if waitForAttempts { return .seconds(1) }
        let next = try await store.read { db in
            try DeliveryQueue(db).nextDue(after: now, excluding: excluded, busyReceivers: room.busyReceivers)
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
    /// exported).
    /// - Returns: How it ended, or `nil` when this instance no longer delivers (nothing was sent).
    func send(_ delivery: DueDelivery, sender: WebhookSender) async -> EndedAttempt? {
        let timestamp = Int64(Date().timeIntervalSince1970)
        var headers = WebhookSignature.headers(id: delivery.eventID, timestamp: timestamp, body: delivery.body, key: delivery.key)
        // Checked again just before sending: the process may have been stopped since it was dispatched.
        if let ownership, !ownership.leaseHolds { return nil }
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
        return EndedAttempt(delivery: delivery, result: result, latencyMs: Int(elapsed.milliseconds), trace: trace)
    }

    /// Records an attempt, its consequence and its outcome event (with the attempts that end
    /// while another is being recorded, in one transaction).
    /// - Returns: Whether it was recorded, or the delivery is gone (if not, it is sent again
    ///   later).
    func record(_ ended: EndedAttempt) async -> Bool {
        let delivery = ended.delivery
        do {
            guard let outcome = try await records.submit(ended) else {
                logger.debug("a delivery was dropped while its attempt was in flight (a handover)", metadata: ["delivery": "\(delivery.id)"])
                return true
            }
            switch outcome.status {
            case .delivered: deliveredCounter.increment()
            case .dead:
                deadCounter.increment()
                logger.warning("delivery is dead after its last attempt", metadata: [
                    "subscription": "\(delivery.subscription)", "event": "\(delivery.eventID)", "attempts": "\(outcome.attempt)", "error": "\(ended.result.error ?? "")",
                ])
            case .retrying:
                logger.debug("delivery failed; will retry", metadata: ["subscription": "\(delivery.subscription)", "event": "\(delivery.eventID)", "error": "\(ended.result.error ?? "")"])
            }
            return true
        } catch {
            // Not recorded: the delivery stays due and is sent again after a pause (same webhook-id).
            logger.error("could not record a delivery attempt", metadata: ["delivery": "\(delivery.id)", "error": "\(error)"])
            return false
        }
    }
}

/// An attempt that ended, to be recorded.
struct EndedAttempt: Sendable {
    let delivery: DueDelivery
    let result: AttemptResult
    let latencyMs: Int
    /// The trace the request carried (the outcome event continues it).
    let trace: EventTrace?
}
