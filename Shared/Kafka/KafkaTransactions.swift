// Transactions of a producer with a `transactional.id`: the fencing of a partition's publisher.

import CRdKafka
import Dispatch

/// A consumer group's identity as a transaction's offset commit carries it
/// (`rd_kafka_consumer_group_metadata_t`).
public final class KafkaGroupMetadata: @unchecked Sendable {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        rd_kafka_consumer_group_metadata_destroy(pointer)
    }
}

extension KafkaConsumer {
    /// The group, member and generation of this consumer, for offsets committed in a producer's
    /// transaction (``KafkaProducer/publishInTransaction(_:offsets:group:timeout:)``).
    public var groupMetadata: KafkaGroupMetadata? {
        rd_kafka_consumer_group_metadata(client.handle).map(KafkaGroupMetadata.init)
    }

    /// The offsets the group committed for `partitions` (those without one are left out). Safe
    /// to call from a rebalance hook.
    public func committedOffsets(_ partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)) throws -> [KafkaTopicPartition: Int64] {
        try client.committed(partitions, timeout: timeout)
    }
}

extension KafkaError {
    /// True when a newer producer with the same `transactional.id` took over: this one may never
    /// write again (`_FENCED`, `PRODUCER_FENCED`, `INVALID_PRODUCER_EPOCH`).
    public var isFenced: Bool {
        ["_FENCED", "PRODUCER_FENCED", "INVALID_PRODUCER_EPOCH"].contains(codeName)
    }
}

extension KafkaProducer {
    /// Registers the `transactional.id` with its coordinator, which fences every earlier producer
    /// with the same id: from now on their writes and commits are refused (and, on a broker that
    /// implements it, their open transaction is aborted). Blocking; call once, before publishing.
    public func initTransactions(timeout: Duration = .seconds(30)) async throws {
        try await client.offload { client in
            if let error = rd_kafka_init_transactions(client.handle, Int32(timeout.milliseconds)) {
                throw KafkaError.rd(.delivery, consuming: error, context: "init transactions")
            }
        }
    }

    /// Publishes `messages` in one transaction, with the group's `offsets` committed in it, and
    /// returns once the transaction is committed.
    ///
    /// - Throws: ``KafkaError``; when ``KafkaError/isFatal`` is true (fenced: another producer took
    ///   over the `transactional.id`; or failed for good), this one must be dropped. Any other failure aborted the
    ///   transaction, and the same messages may be published again (with the same bytes, so
    ///   consumers that dedupe by id see one event).
    @discardableResult
    public func publishInTransaction(
        _ messages: [KafkaProducerMessage], offsets: [KafkaTopicPartition: Int64] = [:], group: KafkaGroupMetadata? = nil,
        timeout: Duration = .seconds(30)
    ) async throws -> [KafkaDeliveryReport] {
        let milliseconds = Int32(timeout.milliseconds)
        try await client.offload { client in
            if let error = rd_kafka_begin_transaction(client.handle) {
                let fatal = rd_kafka_error_is_fatal(error) != 0
                var failure = KafkaError.rd(.delivery, consuming: error, context: "begin transaction")
                failure.isFatal = fatal || failure.isFenced
                throw failure
            }
        }
        let pending = await enqueue(messages)
        do {
            // The offsets say that everything before them is published: they go in only with every
            // message. A message librdkafka never had (a producer retired meanwhile, when its
            // partition was revoked, refuses them all) would leave a transaction of offsets alone,
            // which commits, and the next owner would start after messages nobody published. (One
            // it had and failed to deliver makes the commit fail.)
            if let refused = pending.refused {
                // Aborted here: a producer that failed for good says so in the abort's answer.
                let abort = try await client.offload { client -> KafkaError? in
                    rd_kafka_abort_transaction(client.handle, milliseconds).map { Self.transactionError($0, context: "abort transaction").error }
                }
                if let abort, abort.isFatal { throw abort }
                throw refused
            }
            if !offsets.isEmpty, let group {
                try await client.offload { client in
                    let list = RDKafkaTopicPartitionList.make(offsets.map { ($0.key, $0.value) })
                    defer { rd_kafka_topic_partition_list_destroy(list) }
                    if let error = rd_kafka_send_offsets_to_transaction(client.handle, list, group.pointer, milliseconds) {
                        throw Self.transactionError(error, context: "offsets in transaction")
                    }
                }
            }
            try await client.offload { client in
                if let error = rd_kafka_commit_transaction(client.handle, milliseconds) {
                    throw Self.transactionError(error, context: "commit transaction")
                }
            }
        } catch let error as TransactionFailure {
            if error.requiresAbort {
                _ = try? await client.offload { client in
                    if let abortError = rd_kafka_abort_transaction(client.handle, milliseconds) { rd_kafka_error_destroy(abortError) }
                }
            }
            _ = await pending.results()
            throw error.error
        }
        return try await pending.results().map { try $0.get() }
    }

    private struct TransactionFailure: Error {
        let error: KafkaError
        let requiresAbort: Bool
    }

    private static func transactionError(_ error: OpaquePointer, context: String) -> TransactionFailure {
        let abort = rd_kafka_error_txn_requires_abort(error) != 0
        let fatal = rd_kafka_error_is_fatal(error) != 0
        var failure = KafkaError.rd(.delivery, consuming: error, context: context)
        failure.isFatal = fatal || failure.isFenced
        return TransactionFailure(error: failure, requiresAbort: abort && !failure.isFatal)
    }
}
