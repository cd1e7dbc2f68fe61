// Publishing chunk after chunk without waiting for each acknowledgement.

import Kafka

/// Hands chunks of messages to the producer with at most ``depth`` of them unacknowledged, so a
/// load generator runs ahead of the broker but never away from it; the first failed delivery
/// ends the run.
struct PipelinedPublisher {
    let producer: KafkaProducer
    var depth = 4
    private var pending: [Task<KafkaError?, Never>] = []

    init(producer: KafkaProducer) {
        self.producer = producer
    }

    /// Sends `chunk` after the chunks before it (messages of one key keep their order); waits
    /// for the oldest chunk first when ``depth`` are unacknowledged.
    mutating func publish(_ chunk: [KafkaProducerMessage]) async throws {
        let delivery = await producer.enqueue(chunk)
        pending.append(Task { await delivery.results().lazy.compactMap { result -> KafkaError? in if case .failure(let error) = result { return error }; return nil }.first })
        if pending.count >= depth, let failure = await pending.removeFirst().value { throw failure }
    }

    /// Waits until every chunk is acknowledged.
    mutating func finish() async throws {
        for delivery in pending { if let failure = await delivery.value { throw failure } }
        pending = []
    }
}
