// Publishing chunk after chunk without waiting for each acknowledgement.

/// Hands chunks of messages to the producer with at most ``depth`` of them unacknowledged, so a
/// publisher (the benchmark's load generator) runs ahead of the broker but never away from it;
/// the first failed delivery ends the run.
public struct PipelinedPublisher {
    /// The producer the chunks go to.
    public let producer: KafkaProducer
    /// Most chunks handed over and not yet acknowledged.
    public let depth: Int
    private var pending: [PendingDelivery] = []

    /// Creates a publisher.
    /// - Parameters:
    ///   - producer: The producer the chunks go to.
    ///   - depth: Most chunks handed over and not yet acknowledged (at least 1).
    public init(producer: KafkaProducer, depth: Int = 4) {
        self.producer = producer
        self.depth = max(1, depth)
    }

    /// Sends `chunk` after the chunks before it (messages of one key keep their order); waits
    /// for the oldest chunk first when ``depth`` are unacknowledged.
    /// - Throws: The first failed delivery of the oldest chunk, when it is waited for.
    public mutating func publish(_ chunk: [KafkaProducerMessage]) async throws(KafkaError) {
        pending.append(await producer.enqueue(chunk))
        if pending.count >= depth { try await Self.check(pending.removeFirst()) }
    }

    /// Waits until every chunk is acknowledged.
    /// - Throws: The first failed delivery, in the order the chunks were published.
    public mutating func finish() async throws(KafkaError) {
        let waiting = pending
        pending = []
        for delivery in waiting { try await Self.check(delivery) }
    }

    /// Waits for a chunk's reports and throws its first failure.
    private static func check(_ delivery: PendingDelivery) async throws(KafkaError) {
        for case .failure(let error) in await delivery.results() { throw error }
    }
}
