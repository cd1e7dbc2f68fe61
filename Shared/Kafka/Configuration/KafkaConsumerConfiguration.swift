// Consumer settings.

/// How a consumer joins its group and gathers batches.
///
/// Offsets are not committed automatically: the owner keeps them in its own store and may
/// commit to the broker for lag visibility only (docs/architecture.md §6).
public struct KafkaConsumerConfiguration: Sendable {
    /// Connection settings.
    public var client: KafkaClientConfiguration
    /// `group.id`.
    public var groupID: String
    /// `session.timeout.ms`. The test broker needs a short one for fast joins (docs/architecture.md §8).
    public var sessionTimeout: Duration = .seconds(6)
    /// `heartbeat.interval.ms`.
    public var heartbeatInterval: Duration = .seconds(1)
    /// `max.poll.interval.ms`: the longest time between polls before the group evicts us.
    public var maxPollInterval: Duration = .seconds(300)
    /// `auto.offset.reset` when the owner asks for ``KafkaStartOffset/committed`` and nothing is
    /// committed: `earliest` or `latest`.
    public var autoOffsetReset: String = "earliest"
    /// Most messages in one batch.
    public var maxBatchSize: Int = 1_000
    /// Longest time one poll waits for a first message; a batch is then what is already
    /// fetched (up to ``maxBatchSize``), so batches grow with the load, not by waiting.
    public var maxBatchWait: Duration = .milliseconds(50)
    /// `fetch.wait.max.ms`: how long the broker may hold a fetch that finds nothing new. The
    /// test broker (Tansu) holds it for the whole time even when messages arrive meanwhile,
    /// so librdkafka's default (500 ms) became latency at every hop (p50 404 ms from submission
    /// to lookup at 1,500/s; 159 ms with 10 ms). An idle consumer then asks 50 times a second,
    /// which costs the broker CPU for every partition it reads: consumers nobody waits on set
    /// more.
    public var fetchWait: Duration = .milliseconds(20)
    /// When an idle consumer stops fetching, and how often it then looks for new messages
    /// (`nil`, the default: it fetches all the time). The services set it from each consumer's
    /// pace.
    public var dormancy: FetchDormancySettings? = nil
    /// `queued.max.messages.kbytes`: how much librdkafka fetches ahead of the batches taken.
    /// Its default (64 MiB per consumer) is memory a service holds for nothing: a few batches
    /// ahead keep the engine busy. 4 MiB kept the benchmark's throughput; 1 MiB halved it, as
    /// each batch then waited for a fetch (BENCHMARKS.md, "Memory").
    public var prefetchKilobytes: Int = 4_096
    /// Timeout of the watermark query made per partition on assignment.
    public var watermarkQueryTimeout: Duration = .seconds(5)
    /// `false` for a member that only holds partitions (it takes part in the group's assignment,
    /// e.g. to own what other consumers compute) and never reads them: every assigned partition
    /// is paused.
    public var fetchesMessages = true

    /// Creates a configuration.
    /// - Parameters:
    ///   - client: Connection settings.
    ///   - groupID: The consumer group to join.
    public init(client: KafkaClientConfiguration, groupID: String) {
        self.client = client
        self.groupID = groupID
    }

    var properties: [String: String] {
        var p = client.properties
        p["group.id"] = groupID
        p["session.timeout.ms"] = "\(sessionTimeout.milliseconds)"
        p["heartbeat.interval.ms"] = "\(heartbeatInterval.milliseconds)"
        p["max.poll.interval.ms"] = "\(maxPollInterval.milliseconds)"
        p["auto.offset.reset"] = autoOffsetReset
        p["enable.auto.commit"] = "false"
        p["enable.auto.offset.store"] = "false"
        p["enable.partition.eof"] = "true"
        p["queued.max.messages.kbytes"] = "\(prefetchKilobytes)"
        p["fetch.wait.max.ms"] = "\(fetchWait.milliseconds)"
        // Eager protocols: a revocation hands back every partition, which the owner finishes first.
        p["partition.assignment.strategy"] = "range,roundrobin"
        return p.merging(client.extraProperties) { _, extra in extra }
    }
}
