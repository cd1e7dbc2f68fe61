// Publishing chunk after chunk without waiting for each acknowledgement.

import Kafka

/// Hands chunks of messages to the producer with at most ``depth`` of them unacknowledged, so a
/// load generator runs ahead of the broker but never away from it; the first failed delivery
/// ends the run.
struct PipelinedPublisher {
    let producer: KafkaProducer
    var depth = 4
    private var pending: [PendingDelivery] = []

    init(producer: KafkaProducer) {
        self.producer = producer
    }

    /// Sends `chunk` after the chunks before it (messages of one key keep their order); waits
    /// for the oldest chunk first when ``depth`` are unacknowledged.
    mutating func publish(_ chunk: [KafkaProducerMessage]) async throws {
        pending.append(await producer.enqueue(chunk))
        if pending.count >= depth { try await Self.check(pending.removeFirst()) }
    }

    /// Waits until every chunk is acknowledged.
    mutating func finish() async throws {
        for delivery in pending { try await Self.check(delivery) }
        pending = []
    }

    /// Waits for a chunk's reports and throws its first failure.
    private static func check(_ delivery: PendingDelivery) async throws {
        for case .failure(let error) in await delivery.results() { throw error }
    }
}
