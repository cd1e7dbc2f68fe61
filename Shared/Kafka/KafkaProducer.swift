// The producer: async send that completes on the delivery report.

import Dispatch
import Logging
import ServiceLifecycle
import Synchronization

/// An idempotent Kafka producer.
///
/// ``send(_:)-(KafkaProducerMessage)`` returns when the broker has acknowledged the message (its
/// delivery report) and throws when it cannot be delivered. One background thread serves
/// delivery reports, blocked inside librdkafka between reports; there is no thread or task per
/// message.
///
/// As a `Service`, ``run()`` waits for graceful shutdown and then flushes what is in flight.
public final class KafkaProducer: Service, Sendable {
    let client: RDKafkaClient
    private let logger: Logger
    private let statistics: KafkaStatisticsRecorder
    private let statisticsInterval: Duration
    private let pollThread: RDKafkaPollThread
    private let closed = Mutex(false)
    /// A transaction a call could not end in time, which the next one finishes (``publishInTransaction(_:timeout:)``).
    let unfinishedTransaction = Mutex<TransactionEnd?>(nil)
    /// How long ``run()`` flushes on shutdown.
    public let shutdownFlushTimeout: Duration

    /// Creates a producer and starts serving its delivery reports.
    /// - Parameters:
    ///   - configuration: Connection, batching and acknowledgement settings.
    ///   - shutdownFlushTimeout: How long to keep delivering in-flight messages on shutdown.
    ///   - logger: Receives librdkafka's log lines.
    /// - Throws: ``KafkaError`` when the configuration is rejected or librdkafka is too old.
    public init(configuration: KafkaProducerConfiguration, shutdownFlushTimeout: Duration = .seconds(10), logger: Logger) throws {
        self.logger = logger
        self.shutdownFlushTimeout = shutdownFlushTimeout
        statistics = KafkaStatisticsRecorder(client: configuration.client.clientID)
        statisticsInterval = configuration.client.statisticsInterval
        self.client = try RDKafkaClient(role: .producer, properties: configuration.properties, logger: logger, statistics: statistics)
        self.pollThread = RDKafkaPollThread(client: client, name: "kafka-producer")
    }

    deinit {
        pollThread.stop()
    }

    /// Sends one message and waits for its delivery report.
    /// - Returns: Where the message was stored.
    /// - Throws: ``KafkaError`` of kind `.delivery` (e.g. `MSG_SIZE_TOO_LARGE`, or
    ///   `_MSG_TIMED_OUT` when no broker took it within `message.timeout.ms`).
    @discardableResult
    public func send(_ message: KafkaProducerMessage) async throws -> KafkaDeliveryReport {
        try await send([message])[0]
    }

    /// Sends messages, pipelined into librdkafka's batches, and waits for all their reports.
    ///
    /// Messages are enqueued in array order, so messages with one key keep their order. While
    /// librdkafka's local queue is full, waits for deliveries to make room (back-pressure).
    /// - Returns: The reports, in the order of `messages`.
    /// - Throws: The first delivery failure, after every message has a report.
    public func send(_ messages: [KafkaProducerMessage]) async throws -> [KafkaDeliveryReport] {
        try await deliver(messages).map { try $0.get() }
    }

    /// Sends messages like ``send(_:)-([KafkaProducerMessage])`` but returns each message's own
    /// outcome instead of throwing, for callers that keep what was delivered (an outbox relay).
    public func deliver(_ messages: [KafkaProducerMessage]) async -> [Result<KafkaDeliveryReport, KafkaError>] {
        await enqueue(messages).results()
    }

    /// Hands messages to librdkafka in array order and returns once all of them are enqueued
    /// (waiting for room while its local queue is full), before their delivery reports.
    ///
    /// A caller that pipelines several batches enqueues them one after the other and awaits the
    /// reports later: batches delivered from concurrent tasks could interleave while one waits
    /// for room, and reorder messages of one key.
    public func enqueue(_ messages: [KafkaProducerMessage]) async -> PendingDelivery {
        let collector = DeliveryCollector(count: messages.count)
        guard !messages.isEmpty else { return PendingDelivery(collector: collector) }
        if isClosed {
            let failure = KafkaError(kind: .closed, message: "the producer is closed")
            for position in messages.indices { collector.complete(position, .failure(failure)) }
            return PendingDelivery(collector: collector, refused: failure)
        }
        var refused: KafkaError?
        var index = 0
        while index < messages.count {
            let generation = client.context.deliveryGeneration
            do {
                while index < messages.count {
                    let position = index
                    let callback = RDKafkaDeliveryCallback { collector.complete(position, $0) }
                    guard try client.produce(messages[position], callback: callback) else { break }
                    index += 1
                }
            } catch {
                let failure = error as? KafkaError ?? KafkaError(kind: .delivery, message: "\(error)")
                for position in index..<messages.count { collector.complete(position, .failure(failure)) }
                refused = failure
                break
            }
            if index < messages.count { await client.context.waitForCapacity(after: generation) }
        }
        return PendingDelivery(collector: collector, refused: refused)
    }

    /// Whether ``shutdown(flushTimeout:)`` was called: the producer takes no more messages.
    var isClosed: Bool { closed.withLock { $0 } }

    /// Waits until every message in flight is delivered (or failed), up to `timeout`.
    /// - Returns: `true` when nothing is left in flight.
    public func flush(timeout: Duration) async -> Bool {
        (try? await client.offload { $0.flush(timeout: timeout) }) ?? false
    }

    /// Messages handed to the producer and not yet acknowledged or failed.
    public var inFlight: Int { client.outstandingMessages }

    /// Waits until the broker has given this producer its id, which librdkafka asks for as it
    /// starts: until then the messages handed to it wait (about half a second on Tansu, whose
    /// first answers find no transport yet). A caller that times its messages from the moment it
    /// hands them over (`registryctl load`) waits here first, so the client's start is not
    /// counted as the registry's latency.
    ///
    /// librdkafka reports the id's state only in its statistics, so the producer's
    /// ``KafkaClientConfiguration/statisticsInterval`` must be set (it bounds how late this returns).
    /// - Throws: ``KafkaError`` of kind `.timedOut` when no id came within `timeout`.
    public func awaitProducerID(timeout: Duration) async throws {
        precondition(statisticsInterval > .zero, "awaitProducerID needs statistics.interval.ms")
        let deadline = ContinuousClock.now + timeout
        while statistics.idempotentProducerState != "Assigned" {
            guard ContinuousClock.now < deadline else {
                throw KafkaError(
                    kind: .timedOut, message: "the broker gave the producer no id within \(timeout) (state: \(statistics.idempotentProducerState ?? "unknown"))")
            }
            try await Task.sleep(for: min(statisticsInterval, .milliseconds(10)))
        }
    }

    /// Checks that a broker answers a metadata request within `timeout`.
    public func isBrokerReachable(timeout: Duration = .seconds(1)) async -> Bool {
        await client.isBrokerReachable(timeout: timeout)
    }

    /// Refuses further sends, flushes for up to `flushTimeout`, and stops the report thread.
    /// - Returns: The number of messages still undelivered when the flush gave up.
    @discardableResult
    public func shutdown(flushTimeout: Duration) async -> Int {
        closed.withLock { $0 = true }
        let flushed = await flush(timeout: flushTimeout)
        let left = client.outstandingMessages
        if !flushed {
            logger.warning("producer shut down with undelivered messages", metadata: ["count": "\(left)"])
        }
        pollThread.stop()
        return left
    }

    /// Serves until graceful shutdown, then flushes for ``shutdownFlushTimeout``.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown(flushTimeout: shutdownFlushTimeout)
    }
}

/// Messages enqueued by ``KafkaProducer/enqueue(_:)`` whose delivery reports may still be coming.
public struct PendingDelivery: Sendable {
    fileprivate let collector: DeliveryCollector
    /// Why messages were failed before librdkafka had them (the producer was closed, or refused
    /// one), if any were: they are in no transaction.
    var refused: KafkaError? = nil

    /// Waits for every message's delivery report. Any number of callers may wait, at any time.
    /// - Returns: Each message's outcome, in the order the messages were given.
    public func results() async -> [Result<KafkaDeliveryReport, KafkaError>] {
        await collector.results()
    }
}

/// Gathers the delivery reports of one ``KafkaProducer/enqueue(_:)`` call.
private final class DeliveryCollector: Sendable {
    private typealias Outcomes = [Result<KafkaDeliveryReport, KafkaError>?]
    private struct State {
        var results: Outcomes
        var remaining: Int
        var waiters: [CheckedContinuation<Outcomes, Never>] = []
    }
    private let state: Mutex<State>

    init(count: Int) {
        state = Mutex(State(results: Array(repeating: nil, count: count), remaining: count))
    }

    func complete(_ index: Int, _ result: Result<KafkaDeliveryReport, KafkaError>) {
        let (waiters, results) = state.withLock { s -> ([CheckedContinuation<Outcomes, Never>], Outcomes) in
            s.results[index] = result
            s.remaining -= 1
            guard s.remaining == 0 else { return ([], []) }
            defer { s.waiters = [] }
            return (s.waiters, s.results)
        }
        for waiter in waiters { waiter.resume(returning: results) }
    }

    func results() async -> [Result<KafkaDeliveryReport, KafkaError>] {
        let results = await withCheckedContinuation { continuation in
            let ready = state.withLock { s -> Outcomes? in
                if s.remaining == 0 { return s.results }
                s.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
        return results.map { $0! }
    }
}
