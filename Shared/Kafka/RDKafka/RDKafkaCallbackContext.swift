// The object librdkafka's callbacks reach through the `opaque` pointer of a client.

import CRdKafka
import Logging
import Synchronization

/// Receives librdkafka's callbacks for one client handle and forwards them to Swift code.
///
/// librdkafka calls these from its own threads or from inside a poll; every stored closure is
/// `Sendable` and the mutable parts are guarded by a mutex.
final class RDKafkaCallbackContext: Sendable {
    typealias RebalanceHandler = @Sendable (OpaquePointer, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> Void

    let logger: Logger
    let statistics: KafkaStatisticsRecorder
    private let state = Mutex<State>(State())

    private struct State {
        var rebalance: RebalanceHandler?
        var errorHandler: (@Sendable (KafkaError, Bool) -> Void)?
        var deliveryGeneration: UInt64 = 0
        var capacityWaiters: [CheckedContinuation<Void, Never>] = []
    }

    init(logger: Logger, statistics: KafkaStatisticsRecorder) {
        self.logger = logger
        self.statistics = statistics
    }

    func setRebalanceHandler(_ handler: @escaping RebalanceHandler) {
        state.withLock { $0.rebalance = handler }
    }

    func setErrorHandler(_ handler: @escaping @Sendable (KafkaError, Bool) -> Void) {
        state.withLock { $0.errorHandler = handler }
    }

    // MARK: Producer capacity (QUEUE_FULL back-pressure without polling loops)

    /// A counter that changes with every delivery report.
    var deliveryGeneration: UInt64 { state.withLock { $0.deliveryGeneration } }

    /// Waits until a delivery report arrives after `generation` was read.
    func waitForCapacity(after generation: UInt64) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { s -> Bool in
                if s.deliveryGeneration != generation { return true }
                s.capacityWaiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    fileprivate func deliveryHappened() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.deliveryGeneration &+= 1
            defer { s.capacityWaiters.removeAll() }
            return s.capacityWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    // MARK: Installing the C callbacks

    /// Registers this context and the C callbacks on a configuration object.
    func install(on conf: OpaquePointer, consumer: Bool) {
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(self).toOpaque())
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, buffer in
            guard let rk, let opaque = rd_kafka_opaque(rk) else { return }
            let context = Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
            let text = buffer.map { String(cString: $0) } ?? ""
            let facilityName = facility.map { String(cString: $0) } ?? ""
            context.logger.log(level: Logger.Level(syslogLevel: level), "\(text)", metadata: ["rdkafka.facility": "\(facilityName)"])
        }
        rd_kafka_conf_set_error_cb(conf) { rk, code, reason, opaque in
            guard let opaque else { return }
            let context = Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
            let error = KafkaError.rd(.consumer, rd_kafka_resp_err_t(rawValue: code), context: reason.map { String(cString: $0) } ?? "")
            var fatal = false
            if code == RD_KAFKA_RESP_ERR__FATAL.rawValue, let rk {
                var buffer = [CChar](repeating: 0, count: 512)
                let original = rd_kafka_fatal_error(rk, &buffer, buffer.count)
                context.logger.critical("librdkafka fatal error", metadata: ["code": "\(original.rawValue)"])
                fatal = true
            }
            context.logger.warning("librdkafka error", metadata: ["error": "\(error)"])
            context.statistics.recordError()
            let handler = context.state.withLock { $0.errorHandler }
            handler?(error, fatal)
        }
        rd_kafka_conf_set_stats_cb(conf) { _, json, length, opaque in
            guard let opaque, let json else { return 0 }
            let context = Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
            let bytes = UnsafeRawBufferPointer(start: json, count: length)
            context.statistics.record(json: Array(bytes))
            return 0  // librdkafka frees the buffer
        }
        if consumer {
            rd_kafka_conf_set_rebalance_cb(conf) { rk, code, partitions, opaque in
                guard let rk, let partitions, let opaque else { return }
                let context = Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
                if let handler = context.state.withLock({ $0.rebalance }) {
                    handler(rk, code, partitions)
                } else if code == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
                    rd_kafka_assign(rk, partitions)
                } else {
                    rd_kafka_assign(rk, nil)
                }
            }
        } else {
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
                guard let message, let opaque else { return }
                let context = Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
                if let promiseOpaque = message.pointee._private {
                    Unmanaged<RDKafkaDeliveryCallback>.fromOpaque(promiseOpaque).takeRetainedValue().complete(message.pointee)
                }
                context.deliveryHappened()
            }
        }
    }
}

/// What to do with one message's delivery report, carried through librdkafka as its opaque.
final class RDKafkaDeliveryCallback: Sendable {
    private let completion: @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void

    init(_ completion: @escaping @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void) {
        self.completion = completion
    }

    func complete(_ message: rd_kafka_message_t) {
        let topic = message.rkt.flatMap { rd_kafka_topic_name($0) }.map { String(cString: $0) } ?? ""
        let partition = KafkaTopicPartition(topic: topic, partition: message.partition)
        if message.err == RD_KAFKA_RESP_ERR_NO_ERROR {
            completion(.success(KafkaDeliveryReport(partition: partition, offset: message.offset)))
        } else {
            completion(.failure(KafkaError.rd(.delivery, message.err, context: "delivery to \(partition) failed")))
        }
    }
}

extension Logger.Level {
    /// Maps a syslog severity (librdkafka's log levels) to a swift-log level.
    init(syslogLevel level: Int32) {
        switch level {
        case ...2: self = .critical
        case 3: self = .error
        case 4: self = .warning
        case 5: self = .notice
        case 6: self = .info
        default: self = .debug
        }
    }
}
