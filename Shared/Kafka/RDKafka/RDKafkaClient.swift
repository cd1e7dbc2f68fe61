// One librdkafka client handle (producer or consumer) and the calls made on it.

import CRdKafka
import Dispatch
import Logging
import Synchronization

/// Owns an `rd_kafka_t` and its callback context. librdkafka handles are thread-safe; the
/// callers serialise what librdkafka requires to be serial (consumer polls, close).
final class RDKafkaClient: @unchecked Sendable {
    enum Role { case producer, consumer }

    let handle: OpaquePointer
    let context: RDKafkaCallbackContext
    let role: Role
    let properties: [String: String]
    private var consumerQueue: OpaquePointer?
    /// Whether destroying a consumer handle leaves its group (librdkafka's default).
    private let leavesGroupOnDestroy = Atomic<Bool>(true)

    init(role: Role, properties: [String: String], logger: Logger, statistics: KafkaStatisticsRecorder) throws {
        try KafkaLibrary.requireSupportedVersion()
        let conf = try RDKafkaConfig.make(properties)
        let context = RDKafkaCallbackContext(logger: logger, statistics: statistics)
        context.install(on: conf, consumer: role == .consumer)
        var errorBuffer = [CChar](repeating: 0, count: 512)
        let type = role == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER
        guard let handle = rd_kafka_new(type, conf, &errorBuffer, errorBuffer.count) else {
            rd_kafka_conf_destroy(conf)
            let reason = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw KafkaError(kind: .configuration, message: "could not create the Kafka client: \(reason)")
        }
        self.handle = handle
        self.context = context
        self.role = role
        self.properties = properties
        if role == .consumer {
            rd_kafka_poll_set_consumer(handle)
            consumerQueue = rd_kafka_queue_get_consumer(handle)
        }
    }

    deinit {
        if let consumerQueue { rd_kafka_queue_destroy(consumerQueue) }
        if role == .producer {
            // Fail what is still queued so every pending send is answered and its callback freed.
            _ = rd_kafka_purge(handle, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT)
            rd_kafka_poll(handle, 0)
        }
        rd_kafka_destroy_flags(handle, leavesGroupOnDestroy.load(ordering: .relaxed) ? 0 : RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE)
    }

    /// Installs the consumer's rebalance handling.
    ///
    /// - Parameters:
    ///   - assign: Given the assigned partitions and a way to ask the broker for partitions'
    ///     watermarks, returns each partition's start offset (raw librdkafka offsets).
    ///   - revoke: Told which partitions are being taken away, before they are.
    func setRebalanceHandlers(
        watermarkTimeout: Duration, pauseAssigned: Bool = false,
        assign: @escaping @Sendable ([KafkaTopicPartition], ([KafkaTopicPartition: Int64]) throws -> [KafkaTopicPartition: KafkaWatermarks]) -> [(KafkaTopicPartition, Int64)],
        revoke: @escaping @Sendable ([KafkaTopicPartition]) -> Void
    ) {
        context.setRebalanceHandler { [unowned self] rk, code, list in
            let partitions = RDKafkaTopicPartitionList.entries(list).map(\.0)
            if code == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
                let entries = assign(partitions) { requested in try assignmentWatermarks(requested, timeout: watermarkTimeout) }
                let assignment = RDKafkaTopicPartitionList.make(entries)
                defer { rd_kafka_topic_partition_list_destroy(assignment) }
                rd_kafka_assign(rk, assignment)
                if pauseAssigned && !entries.isEmpty { rd_kafka_pause_partitions(rk, assignment) }
            } else {
                revoke(partitions)
                rd_kafka_assign(rk, nil)
            }
        }
    }

    /// Partitions' watermarks as an assignment checks requested start offsets against them: one
    /// ListOffsets request per partition, and for those whose requested offset lies beyond the
    /// answer, one fetch for all of them confirms the end (Tansu's ListOffsets may understate it,
    /// even as 0). One fetch rather than one per partition: an assignment of dozens of partitions
    /// (audit's) runs inside the rebalance, which must not outlast `max.poll.interval.ms`.
    func assignmentWatermarks(_ requested: [KafkaTopicPartition: Int64], timeout: Duration) throws -> [KafkaTopicPartition: KafkaWatermarks] {
        var lows: [KafkaTopicPartition: Int64] = [:]
        var highs: [KafkaTopicPartition: Int64] = [:]
        for tp in requested.keys {
            var low: Int64 = 0
            var high: Int64 = 0
            let result = rd_kafka_query_watermark_offsets(handle, tp.topic, tp.partition, &low, &high, Int32(timeout.milliseconds))
            if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError.rd(.consumer, result, context: "watermarks of \(tp)")
            }
            (lows[tp], highs[tp]) = (low, high)
        }
        let ends = try confirmedEnds(highs, against: requested, timeout: timeout)
        return ends.reduce(into: [:]) { marks, end in marks[end.key] = KafkaWatermarks(low: lows[end.key]!, high: end.value) }
    }

    /// `listed` ends (from ListOffsets), with those that a `requested` offset lies beyond confirmed
    /// by one fetch for all of them: Tansu's ListOffsets may understate an end (even as 0), a fetch
    /// response does not. Each such end is the larger of the two.
    private func confirmedEnds(
        _ listed: [KafkaTopicPartition: Int64], against requested: [KafkaTopicPartition: Int64], timeout: Duration
    ) throws -> [KafkaTopicPartition: Int64] {
        let suspects = listed.compactMap { tp, end in (requested[tp] ?? 0) > end ? (tp, from: max(end - 1, 0)) : nil }
        guard !suspects.isEmpty else { return listed }
        let confirmed = try RDKafkaHighWatermarkProbe.highWatermarks(properties: properties, partitions: suspects, timeout: timeout)
        return listed.merging(confirmed.filter { listed[$0.key] != nil }) { max($0, $1) }
    }

    // MARK: Producer

    /// Hands a message to librdkafka; `callback` receives its delivery report.
    /// Returns `false` when the local queue is full (nothing was enqueued).
    func produce(_ message: KafkaProducerMessage, callback: RDKafkaDeliveryCallback) throws -> Bool {
        let promisePointer = Unmanaged.passRetained(callback).toOpaque()
        let headers = RDKafkaHeaders.make(message.headers)
        let error: OpaquePointer? = message.topic.withCString { topic in
            withOptionalBytes(message.key) { key in
                withOptionalBytes(message.value) { value in
                    var vus: [rd_kafka_vu_t] = []
                    var v = rd_kafka_vu_t()
                    v.vtype = RD_KAFKA_VTYPE_TOPIC; v.u.cstr = topic; vus.append(v)
                    if let partition = message.partition {
                        v = rd_kafka_vu_t(); v.vtype = RD_KAFKA_VTYPE_PARTITION; v.u.i32 = partition; vus.append(v)
                    }
                    if let key {
                        v = rd_kafka_vu_t(); v.vtype = RD_KAFKA_VTYPE_KEY
                        v.u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress); v.u.mem.size = key.count
                        vus.append(v)
                    }
                    v = rd_kafka_vu_t(); v.vtype = RD_KAFKA_VTYPE_VALUE
                    v.u.mem.ptr = value.flatMap { UnsafeMutableRawPointer(mutating: $0.baseAddress) }
                    v.u.mem.size = value?.count ?? 0
                    vus.append(v)
                    if let headers {
                        v = rd_kafka_vu_t(); v.vtype = RD_KAFKA_VTYPE_HEADERS; v.u.headers = headers; vus.append(v)
                    }
                    v = rd_kafka_vu_t(); v.vtype = RD_KAFKA_VTYPE_OPAQUE; v.u.ptr = promisePointer; vus.append(v)
                    v = rd_kafka_vu_t(); v.vtype = RD_KAFKA_VTYPE_MSGFLAGS; v.u.i = RD_KAFKA_MSG_F_COPY; vus.append(v)
                    return rd_kafka_produceva(handle, vus, vus.count)
                }
            }
        }
        guard let error else { return true }
        // Not enqueued: we still own the promise and the headers.
        Unmanaged<RDKafkaDeliveryCallback>.fromOpaque(promisePointer).release()
        if let headers { rd_kafka_headers_destroy(headers) }
        if rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR__QUEUE_FULL {
            rd_kafka_error_destroy(error)
            return false
        }
        throw KafkaError.rd(.delivery, consuming: error, context: "produce to \(message.topic)")
    }

    /// Serves queued callbacks for up to `timeout`.
    func poll(timeout: Duration) {
        rd_kafka_poll(handle, Int32(timeout.milliseconds))
    }

    /// Wakes a thread blocked in ``poll(timeout:)``: yields the main queue it waits on
    /// (`rd_kafka_yield` only marks the calling thread, so the poll waited out its timeout).
    func wake() {
        guard let queue = rd_kafka_queue_get_main(handle) else { return }
        rd_kafka_queue_yield(queue)
        rd_kafka_queue_destroy(queue)
    }

    /// Blocks until every queued message is delivered or `timeout` passes; true when none is left.
    func flush(timeout: Duration) -> Bool {
        rd_kafka_flush(handle, Int32(timeout.milliseconds)) == RD_KAFKA_RESP_ERR_NO_ERROR
    }

    /// Messages waiting in the client for delivery.
    var outstandingMessages: Int { Int(rd_kafka_outq_len(handle)) }

    // MARK: Consumer

    func subscribe(_ topics: [String]) throws {
        let list = RDKafkaTopicPartitionList.make(topics.map { (KafkaTopicPartition(topic: $0, partition: RD_KAFKA_PARTITION_UA), 0) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let code = rd_kafka_subscribe(handle, list)
        if code != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.rd(.consumer, code, context: "subscribe to \(topics.joined(separator: ","))")
        }
    }

    func unsubscribe() throws {
        let code = rd_kafka_unsubscribe(handle)
        if code != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.rd(.consumer, code, context: "unsubscribe")
        }
    }

    /// The result of one consumer poll, with per-message errors separated out.
    struct PollResult {
        var messages: [KafkaConsumerMessage] = []
        var reachedEnd: [KafkaTopicPartition] = []
        var endOffsets: [KafkaTopicPartition: Int64] = [:]
        var errors: [(KafkaTopicPartition?, KafkaError)] = []

        /// Per partition, the offset after its last message, or its end-of-partition offset if
        /// that is further.
        var deliveredPositions: [KafkaTopicPartition: Int64] {
            var positions = endOffsets
            // A partition's messages come in offset order: only its last one counts.
            var last: KafkaConsumerMessage?
            for message in messages {
                if let previous = last, previous.topicPartition != message.topicPartition {
                    positions[previous.topicPartition] = max(positions[previous.topicPartition] ?? 0, previous.offset + 1)
                }
                last = message
            }
            if let last { positions[last.topicPartition] = max(positions[last.topicPartition] ?? 0, last.offset + 1) }
            return positions
        }
    }

    /// Makes a poll waiting in ``pollBatch(maxMessages:timeout:)`` return now (with what it has).
    func interruptPoll() {
        if let consumerQueue { rd_kafka_queue_yield(consumerQueue) }
    }

    /// Polls the consumer queue for up to `maxMessages` within `timeout`. Serves rebalance and
    /// error callbacks as a side effect. Callers serialise calls.
    func pollBatch(maxMessages: Int, timeout: Duration) -> PollResult {
        guard let consumerQueue else { return PollResult() }
        var buffer = [UnsafeMutablePointer<rd_kafka_message_t>?](repeating: nil, count: maxMessages)
        // rd_kafka_consume_batch_queue waits out its whole timeout unless the batch fills, which
        // under light load added that wait to every hop. So: wait (up to `timeout`) for the first
        // message only, then take whatever else is already queued, without waiting.
        let count = buffer.withUnsafeMutableBufferPointer { pointers -> Int in
            let first = rd_kafka_consume_batch_queue(consumerQueue, Int32(timeout.milliseconds), pointers.baseAddress, 1)
            guard first > 0, maxMessages > 1 else { return first }
            let rest = rd_kafka_consume_batch_queue(consumerQueue, 0, pointers.baseAddress! + 1, maxMessages - 1)
            return rest > 0 ? 1 + rest : 1
        }
        var result = PollResult()
        guard count > 0 else { return result }
        result.messages.reserveCapacity(count)
        for index in 0..<count {
            guard let message = buffer[index] else { continue }
            defer { rd_kafka_message_destroy(message) }
            let m = message.pointee
            let topic = m.rkt.flatMap { rd_kafka_topic_name($0) }.map { String(cString: $0) }
            let tp = topic.map { KafkaTopicPartition(topic: $0, partition: m.partition) }
            if m.err == RD_KAFKA_RESP_ERR_NO_ERROR, let tp {
                var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
                let timestamp = rd_kafka_message_timestamp(message, &timestampType)
                result.messages.append(
                    KafkaConsumerMessage(
                        topicPartition: tp,
                        offset: m.offset,
                        key: m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) },
                        value: m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) },
                        headers: RDKafkaHeaders.read(message),
                        timestampMilliseconds: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp
                    ))
            } else if m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF, let tp {
                result.reachedEnd.append(tp)
                result.endOffsets[tp] = m.offset
            } else {
                let text = rd_kafka_message_errstr(message).map { String(cString: $0) } ?? ""
                result.errors.append((tp, KafkaError.rd(.consumer, m.err, context: "\(tp.map(\.description) ?? "consumer"): \(text)")))
            }
        }
        return result
    }

    func assign(_ entries: [(KafkaTopicPartition, Int64)]?) throws {
        let code: rd_kafka_resp_err_t
        if let entries {
            let list = RDKafkaTopicPartitionList.make(entries)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            code = rd_kafka_assign(handle, list)
        } else {
            code = rd_kafka_assign(handle, nil)
        }
        if code != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.rd(.consumer, code, context: "assign")
        }
    }

    /// Adds partitions to a manual assignment (no group), each from its offset.
    func incrementalAssign(_ entries: [(KafkaTopicPartition, Int64)]) throws {
        guard !entries.isEmpty else { return }
        let list = RDKafkaTopicPartitionList.make(entries)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        if let error = rd_kafka_incremental_assign(handle, list) {
            throw KafkaError.rd(.consumer, consuming: error, context: "assign")
        }
    }

    /// Removes partitions from a manual assignment.
    func incrementalUnassign(_ partitions: [KafkaTopicPartition]) throws {
        guard !partitions.isEmpty else { return }
        let list = RDKafkaTopicPartitionList.make(partitions.map { ($0, 0) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        if let error = rd_kafka_incremental_unassign(handle, list) {
            throw KafkaError.rd(.consumer, consuming: error, context: "unassign")
        }
    }

    /// Commits offsets; with `waiting`, blocks until the group coordinator answered.
    func commit(_ entries: [(KafkaTopicPartition, Int64)], waiting: Bool = false) throws {
        guard !entries.isEmpty else { return }
        let list = RDKafkaTopicPartitionList.make(entries)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let code = rd_kafka_commit(handle, list, waiting ? 0 : 1)
        if code != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.rd(.consumer, code, context: "commit")
        }
        // The coordinator answers for each partition and librdkafka leaves each answer in the list:
        // the call's result alone does not say that every partition's offset was stored.
        guard waiting, let elems = list.pointee.elems else { return }
        for e in UnsafeBufferPointer(start: elems, count: Int(list.pointee.cnt)) where e.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.rd(.consumer, e.err, context: "commit of \(String(cString: e.topic))[\(e.partition)]")
        }
    }

    func closeConsumer() {
        rd_kafka_consumer_close(handle)
    }

    /// Instead of ``closeConsumer()``: the handle, once destroyed, sends no LeaveGroup (and
    /// commits nothing); until then librdkafka keeps the membership alive.
    func destroyWithoutLeavingGroup() {
        leavesGroupOnDestroy.store(false, ordering: .relaxed)
    }

    // MARK: Fetch dormancy (see FetchDormancy)

    /// The partitions librdkafka assigns to this consumer now.
    func currentAssignment() -> Set<KafkaTopicPartition> {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(handle, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [] }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return Set(RDKafkaTopicPartitionList.entries(list).map(\.0))
    }

    /// One partition's high watermark as the last fetch response reported it, or `nil`.
    func lastFetchedHighWatermark(_ tp: KafkaTopicPartition) -> Int64? {
        var low: Int64 = 0
        var high: Int64 = 0
        guard rd_kafka_get_watermark_offsets(handle, tp.topic, tp.partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { return nil }
        return high
    }

    /// Each partition's latest offset, from one ListOffsets request per leader (not one per
    /// partition, as `rd_kafka_query_watermark_offsets` makes). Tansu answers with the base offset
    /// of the last record batch + 1, which understates the end but still grows with every batch
    /// appended.
    func latestOffsets(_ partitions: Set<KafkaTopicPartition>, timeout: Duration) throws -> [KafkaTopicPartition: Int64] {
        guard !partitions.isEmpty else { return [:] }
        let list = RDKafkaTopicPartitionList.make(partitions.map { ($0, Int64(RD_KAFKA_OFFSET_END)) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let code = rd_kafka_offsets_for_times(handle, list, Int32(timeout.milliseconds))
        if code != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rd(.consumer, code, context: "latest offsets") }
        var offsets: [KafkaTopicPartition: Int64] = [:]
        for e in UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt)) {
            if e.err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rd(.consumer, e.err, context: "latest offset of \(String(cString: e.topic))[\(e.partition)]") }
            offsets[KafkaTopicPartition(topic: String(cString: e.topic), partition: e.partition)] = e.offset
        }
        return offsets
    }

    /// Makes each partition's next fetch start at its offset (a paused partition's, once it is
    /// resumed); waits up to `timeout` for librdkafka to take every seek.
    func seek(_ offsets: [KafkaTopicPartition: Int64], timeout: Duration) throws {
        guard !offsets.isEmpty else { return }
        let list = RDKafkaTopicPartitionList.make(offsets.map { ($0.key, $0.value) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        if let error = rd_kafka_seek_partitions(handle, list, Int32(timeout.milliseconds)) {
            throw KafkaError.rd(.consumer, consuming: error, context: "seek")
        }
        for e in UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt)) where e.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.rd(.consumer, e.err, context: "seek of \(String(cString: e.topic))[\(e.partition)]")
        }
    }

    /// Stops (`paused`) or restarts fetching `partitions`; a restarted partition goes on from the
    /// last message taken from it.
    func setPaused(_ paused: Bool, _ partitions: Set<KafkaTopicPartition>) {
        guard !partitions.isEmpty else { return }
        let list = RDKafkaTopicPartitionList.make(partitions.map { ($0, 0) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        _ = paused ? rd_kafka_pause_partitions(handle, list) : rd_kafka_resume_partitions(handle, list)
    }

    // MARK: Metadata and admin

    func watermarks(_ tp: KafkaTopicPartition, timeout: Duration) throws -> KafkaWatermarks {
        try watermarks([tp], timeout: timeout)[tp]!
    }

    /// The watermarks of `partitions`: ListOffsets for each, then one fetch for all those that
    /// are not empty confirms their ends (ListOffsets may understate them on Tansu; the fetch
    /// response is authoritative).
    func watermarks(_ partitions: [KafkaTopicPartition], timeout: Duration) throws -> [KafkaTopicPartition: KafkaWatermarks] {
        var marks: [KafkaTopicPartition: KafkaWatermarks] = [:]
        for tp in partitions {
            var low: Int64 = 0
            var high: Int64 = 0
            let code = rd_kafka_query_watermark_offsets(handle, tp.topic, tp.partition, &low, &high, Int32(timeout.milliseconds))
            if code != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rd(.admin, code, context: "watermarks of \(tp)") }
            marks[tp] = KafkaWatermarks(low: low, high: high)
        }
        let nonEmpty = marks.filter { $0.value.high > 0 }.map { ($0.key, from: $0.value.high - 1) }
        guard !nonEmpty.isEmpty else { return marks }
        let confirmed = try RDKafkaHighWatermarkProbe.highWatermarks(properties: properties, partitions: nonEmpty, timeout: timeout)
        for (tp, high) in confirmed { marks[tp] = KafkaWatermarks(low: marks[tp]!.low, high: max(marks[tp]!.high, high)) }
        return marks
    }

    /// Of `positions` (each partition's next offset to read), those that lie beyond the
    /// partition's end on the broker (as an assignment checks them).
    ///
    /// Asked every 10 s by every engine that holds every partition, and by every relay: so one
    /// ListOffsets request for all the partitions' latest offsets, not `assignmentWatermarks`'
    /// two per partition (the low watermark does not matter here). A Tansu that holds a lot
    /// spends more on each partition it looks up (bench/results/tansu-request-cost-2026-12-06.txt);
    /// the per-partition queries were 12 of an idle stack's 33 ListOffsets requests a second.
    /// Only a partition whose position lies beyond the answer is fetched from, as there, to
    /// confirm its end.
    func beyondEnd(_ positions: [KafkaTopicPartition: Int64], timeout: Duration) throws -> Set<KafkaTopicPartition> {
        guard !positions.isEmpty else { return [] }
        let ends = try confirmedEnds(try latestOffsets(Set(positions.keys), timeout: timeout), against: positions, timeout: timeout)
        return Set(positions.filter { tp, position in ends[tp].map { position > $0 } ?? false }.keys)
    }

    /// The offsets this consumer handle's group committed for `partitions`; partitions without a
    /// committed offset are left out.
    func committed(_ partitions: [KafkaTopicPartition], timeout: Duration) throws -> [KafkaTopicPartition: Int64] {
        guard !partitions.isEmpty else { return [:] }
        let list = RDKafkaTopicPartitionList.make(partitions.map { ($0, Int64(RD_KAFKA_OFFSET_INVALID)) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let code = rd_kafka_committed(handle, list, Int32(timeout.milliseconds))
        if code != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.rd(.admin, code, context: "committed offsets")
        }
        var offsets: [KafkaTopicPartition: Int64] = [:]
        for (partition, offset) in RDKafkaTopicPartitionList.entries(list) where offset >= 0 { offsets[partition] = offset }
        return offsets
    }

    /// The names of the cluster's consumer groups (`rd_kafka_list_groups`).
    func groups(timeout: Duration) throws -> [String] {
        var list: UnsafePointer<rd_kafka_group_list>?
        let code = rd_kafka_list_groups(handle, nil, &list, Int32(timeout.milliseconds))
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR, let list else {
            throw KafkaError.rd(code == RD_KAFKA_RESP_ERR__TIMED_OUT ? .timedOut : .admin, code, context: "list groups")
        }
        defer { rd_kafka_group_list_destroy(list) }
        let groups = list.pointee
        return (0..<Int(groups.group_cnt)).map { String(cString: groups.groups[$0].group) }
    }

    func metadata(timeout: Duration) throws -> [KafkaTopicMetadata] {
        try clusterMetadata(timeout: timeout).topics
    }

    /// The brokers' count and every topic, from one metadata request.
    func clusterMetadata(timeout: Duration) throws -> (brokers: Int, topics: [KafkaTopicMetadata]) {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let code = rd_kafka_metadata(handle, 1, nil, &metadata, Int32(timeout.milliseconds))
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaError.rd(code == RD_KAFKA_RESP_ERR__TIMED_OUT ? .timedOut : .admin, code, context: "metadata request")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        let m = metadata.pointee
        let topics = (0..<Int(m.topic_cnt)).map { i in
            let t = m.topics[i]
            return KafkaTopicMetadata(
                name: String(cString: t.topic),
                partitions: (0..<Int(t.partition_cnt)).map { t.partitions[$0].id }.sorted(),
                replicationFactor: t.partition_cnt > 0 ? Int(t.partitions[0].replica_cnt) : 0
            )
        }
        return (Int(m.broker_cnt), topics)
    }

    func createTopics(_ topics: [KafkaTopicSpecification], timeout: Duration) throws -> [String: KafkaTopicCreation] {
        guard !topics.isEmpty else { return [:] }
        var errorBuffer = [CChar](repeating: 0, count: 512)
        var newTopics: [OpaquePointer?] = []
        defer { for t in newTopics { rd_kafka_NewTopic_destroy(t) } }
        for spec in topics {
            guard let newTopic = rd_kafka_NewTopic_new(spec.name, spec.partitions, spec.replicationFactor, &errorBuffer, errorBuffer.count) else {
                let reason = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                throw KafkaError(kind: .admin, message: "topic \(spec.name): \(reason)")
            }
            newTopics.append(newTopic)
            for (name, value) in spec.configs.sorted(by: { $0.key < $1.key }) {
                let code = rd_kafka_NewTopic_set_config(newTopic, name, value)
                if code != RD_KAFKA_RESP_ERR_NO_ERROR {
                    throw KafkaError.rd(.admin, code, context: "topic \(spec.name) config \(name)=\(value)")
                }
            }
        }
        let queue = rd_kafka_queue_new(handle)
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_request_timeout(options, Int32(timeout.milliseconds), &errorBuffer, errorBuffer.count)
        _ = rd_kafka_AdminOptions_set_operation_timeout(options, Int32(timeout.milliseconds), &errorBuffer, errorBuffer.count)
        newTopics.withUnsafeMutableBufferPointer { buffer in
            rd_kafka_CreateTopics(handle, buffer.baseAddress, buffer.count, options, queue)
        }
        guard let event = rd_kafka_queue_poll(queue, Int32(timeout.milliseconds) + 1000) else {
            throw KafkaError(kind: .timedOut, message: "create topics: no answer within \(timeout)")
        }
        defer { rd_kafka_event_destroy(event) }
        let eventError = rd_kafka_event_error(event)
        if eventError != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.rd(.admin, eventError, context: "create topics")
        }
        guard let result = rd_kafka_event_CreateTopics_result(event) else {
            throw KafkaError(kind: .admin, message: "create topics: unexpected answer")
        }
        var count = 0
        guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return [:] }
        var outcome: [String: KafkaTopicCreation] = [:]
        for i in 0..<count {
            guard let topicResult = results[i] else { continue }
            let name = String(cString: rd_kafka_topic_result_name(topicResult))
            let code = rd_kafka_topic_result_error(topicResult)
            switch code {
            case RD_KAFKA_RESP_ERR_NO_ERROR: outcome[name] = .created
            case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS: outcome[name] = .alreadyExisted
            default:
                let text = rd_kafka_topic_result_error_string(topicResult).map { String(cString: $0) } ?? ""
                throw KafkaError.rd(.admin, code, context: "create topic \(name) \(text)")
            }
        }
        return outcome
    }
}

/// Runs `body` with the bytes of `array`, or with `nil`.
private func withOptionalBytes<R>(_ array: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let array else { return body(nil) }
    return array.withUnsafeBytes { body($0) }
}

extension RDKafkaClient {
    /// Runs a blocking librdkafka call on a Dispatch thread, keeping it off Swift's cooperative
    /// pool (which has one thread per core and must never block).
    func offload<T: Sendable>(_ body: @escaping @Sendable (RDKafkaClient) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { [self] in
                continuation.resume(with: Result { try body(self) })
            }
        }
    }

    /// Whether a broker answers a metadata request within `timeout`.
    func isBrokerReachable(timeout: Duration) async -> Bool {
        (try? await offload { try $0.metadata(timeout: timeout) }) != nil
    }
}
