// librdkafka statistics → swift-metrics.

import Foundation
import Metrics
import Synchronization

/// Turns librdkafka's periodic statistics JSON (`statistics.interval.ms`) into metrics:
/// messages waiting in the client, and consumer lag per partition; and an idempotent producer's
/// state (``idempotentProducerState``).
public final class KafkaStatisticsRecorder: Sendable {
    private let clientLabel: String
    private let queuedMessages: Gauge
    private let errors: Counter
    private let idempotence = Mutex<String?>(nil)

    /// `eos.idemp_state` of the latest statistics: `Assigned` once the broker gave an idempotent
    /// producer its id; `nil` before the first statistics (or for a client that is not one).
    var idempotentProducerState: String? { idempotence.withLock { $0 } }

    /// Creates a recorder whose metrics carry `client` as a label.
    public init(client: String) {
        self.clientLabel = client
        self.queuedMessages = Gauge(label: "kafka_client_queued_messages", dimensions: [("client", client)])
        self.errors = Counter(label: "kafka_client_errors_total", dimensions: [("client", client)])
    }

    func recordError() {
        errors.increment()
    }

    func record(json: [UInt8]) {
        guard let root = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else { return }
        if let count = root["msg_cnt"] as? Int {
            queuedMessages.record(count)
        }
        if let state = (root["eos"] as? [String: Any])?["idemp_state"] as? String {
            idempotence.withLock { $0 = state }
        }
        guard let topics = root["topics"] as? [String: Any] else { return }
        for (topic, value) in topics {
            guard let partitions = (value as? [String: Any])?["partitions"] as? [String: Any] else { continue }
            for (partition, stats) in partitions where partition != "-1" {
                guard let lag = (stats as? [String: Any])?["consumer_lag"] as? Int, lag >= 0 else { continue }
                Gauge(label: "kafka_consumer_lag_messages", dimensions: [("client", clientLabel), ("topic", topic), ("partition", partition)])
                    .record(lag)
            }
        }
    }
}
