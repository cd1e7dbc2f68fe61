// Transactions of a producer with a `transactional.id`: the fencing of a partition's publisher.

import CRdKafka
import Dispatch

extension KafkaConsumer {
    /// The offsets the group committed for `partitions` (those without one are left out). Safe
    /// to call from a rebalance hook.
    public func committedOffsets(_ partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)) throws -> [KafkaTopicPartition: Int64] {
        try client.committed(partitions, timeout: timeout)
    }
}

/// How an open transaction ends.
enum TransactionEnd: Sendable {
    case commit, abort
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

    /// Publishes `messages` in one transaction and returns once it is committed.
    ///
    /// No consumer offsets go into the transaction (`send_offsets_to_transaction`): after the broker
    /// was away, librdkafka 2.16 can wait for ever for the group coordinator it had cached (its
    /// coordinator request has no timer, and nothing wakes it: seen in `KafkaTransactionTests`, the
    /// call never returned), so a relay stopped for good; and Tansu does not check the group
    /// generation of such offsets (docs/scaling.md). A caller commits its offsets as the group's
    /// member after this returns, which the coordinator refuses from an evicted member.
    ///
    /// A transaction that a call could not end within `timeout` (the broker away) goes on inside
    /// librdkafka, which refuses to begin another until the same end is asked for again: the next
    /// call finishes it first (committing it, or aborting it), then publishes its own.
    ///
    /// - Throws: ``KafkaError``; when ``KafkaError/isFatal`` is true (fenced: another producer took
    ///   over the `transactional.id`; or failed for good), this one must be dropped. Any other failure
    ///   ended the transaction or left it to the next call, and the same messages may be published
    ///   again (with the same bytes, so consumers that dedupe by id see one event).
    @discardableResult
    public func publishInTransaction(_ messages: [KafkaProducerMessage], timeout: Duration = .seconds(30)) async throws -> [KafkaDeliveryReport] {
        let milliseconds = Int32(timeout.milliseconds)
        if let unfinished = unfinishedTransaction.withLock({ $0 }) {
            try await end(unfinished, timeout: milliseconds)
            // Still not ended (the broker still away): beginning another would fail as a conflict.
            if unfinishedTransaction.withLock({ $0 }) != nil {
                throw KafkaError(kind: .timedOut, message: "the previous transaction did not end within \(timeout) (\(unfinished)); trying again later")
            }
        }
        try await client.offload { client in
            if let error = rd_kafka_begin_transaction(client.handle) {
                let fatal = rd_kafka_error_is_fatal(error) != 0
                var failure = KafkaError.rd(.delivery, consuming: error, context: "begin transaction")
                // A transaction still open that this code does not know of (`_CONFLICT`, `_STATE`)
                // leaves the producer in a state nobody can tell: it is replaced, and a new one
                // with the same id ends that transaction on the broker. (Not a producer retired
                // with its partition: one that is not published for any more need not be.)
                let unknownState = [.conflict, .state].contains(failure.name) && !self.isClosed
                failure.isFatal = fatal || failure.isFenced || unknownState
                throw failure
            }
        }
        let pending = await enqueue(messages)
        // A message librdkafka never had (a producer retired meanwhile, when its partition was
        // revoked, refuses them all) must fail the transaction: one committed without it would
        // let the caller commit its offsets past messages nobody published.
        if let refused = pending.refused {
            try await end(.abort, timeout: milliseconds)
            throw refused
        }
        try await end(.commit, timeout: milliseconds)
        return try await pending.results().map { try $0.get() }
    }

    /// Commits or aborts the open transaction. One that does not end within the timeout is left
    /// for the next ``publishInTransaction(_:timeout:)`` to finish; a commit that
    /// fails in a way that requires an abort is aborted.
    /// - Throws: Why the transaction did not commit (`.commit`); for `.abort`, only a failure for good.
    private func end(_ end: TransactionEnd, timeout milliseconds: Int32) async throws {
        let failure = try await client.offload { client -> TransactionFailure? in
            switch end {
            case .commit: rd_kafka_commit_transaction(client.handle, milliseconds).map { Self.transactionError($0, context: "commit transaction") }
            case .abort: rd_kafka_abort_transaction(client.handle, milliseconds).map { Self.transactionError($0, context: "abort transaction") }
            }
        }
        unfinishedTransaction.withLock { $0 = failure?.retriable == true ? end : nil }
        guard let failure else { return }
        if failure.requiresAbort && end == .commit {
            try await self.end(.abort, timeout: milliseconds)
        }
        if end == .commit || failure.error.isFatal { throw failure.error }
    }

    /// A failed transactional call, as librdkafka classifies it.
    private struct TransactionFailure: Error {
        let error: KafkaError
        /// The transaction must be aborted before another begins.
        let requiresAbort: Bool
        /// The call timed out and goes on in the background: calling it again finishes it.
        let retriable: Bool
    }

    private static func transactionError(_ error: OpaquePointer, context: String) -> TransactionFailure {
        let abort = rd_kafka_error_txn_requires_abort(error) != 0
        let fatal = rd_kafka_error_is_fatal(error) != 0
        let retriable = rd_kafka_error_is_retriable(error) != 0
        var failure = KafkaError.rd(.delivery, consuming: error, context: context)
        failure.isFatal = fatal || failure.isFenced
        return TransactionFailure(error: failure, requiresAbort: abort && !failure.isFatal, retriable: retriable && !failure.isFatal)
    }
}
