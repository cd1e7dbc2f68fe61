// Every metric family the services expose, with its type and help text.

import Prometheus

/// The metric families of `/metrics`, documented once: `/metrics` writes each family's help as
/// its `# HELP` line, `docs/operations.md` lists them, and the alert rules and dashboard in
/// `docker/` use these names. Names carry their unit (`_seconds`, `_bytes`, `_messages`,
/// `_events`) and counters end in `_total`, as Prometheus's naming rules ask.
///
/// The code records through swift-metrics, whose labels carry no help text; a family recorded
/// under a name missing here is shown without `# HELP` (and `MetricsTests` fails).
public enum MetricCatalog {
    /// One family.
    public struct Family: Sendable, Hashable {
        /// The Prometheus type.
        public enum Kind: String, Sendable { case counter, gauge, histogram }
        /// The family's name (without `_bucket`, `_sum`, `_count`).
        public let name: String
        /// Its type.
        public let kind: Kind
        /// One sentence for `# HELP`.
        public let help: String

        init(_ name: String, _ kind: Kind, _ help: String) {
            self.name = name
            self.kind = kind
            self.help = help
        }
    }

    /// Every family.
    public static let families: [Family] = [
        // HTTP (Hummingbird's middleware, renamed by ``prometheusName(_:)``; the rate limiter)
        Family("http_server_request_duration_seconds", .histogram, "Time to answer an HTTP request, by method, route and status."),
        Family("http_server_requests_total", .counter, "HTTP requests answered, by method and route."),
        Family("http_server_request_errors_total", .counter, "HTTP requests that ended in an error thrown by a handler, by method and route."),
        Family("http_server_active_requests", .gauge, "HTTP requests being answered now, by method."),
        Family("http_rate_limited_total", .counter, "HTTP requests refused with 429 because their caller was over HTTP_RATE_LIMIT."),
        // Kafka clients (librdkafka statistics every KAFKA_STATISTICS_INTERVAL_MS)
        Family("kafka_consumer_lag_messages", .gauge, "Messages between a consumer's position and the end of a partition, by client, topic and partition."),
        Family("kafka_client_queued_messages", .gauge, "Messages waiting in a Kafka client's queues, by client."),
        Family("kafka_client_errors_total", .counter, "Errors librdkafka reported, by client."),
        // Processing engine
        Family("engine_messages_total", .counter, "Input messages applied (committed with their offsets), by service."),
        Family("engine_dead_letters_total", .counter, "Input messages written to deadletter.v1 instead of being applied, by service."),
        Family("engine_offsets_beyond_end_total", .counter, "Partitions whose stored offset was beyond the broker's end when assigned (the broker lost its log), by service."),
        Family("engine_batch_size_messages", .histogram, "Messages per applied batch, by service."),
        Family("engine_batch_apply_seconds", .histogram, "Time to apply and commit one batch, by service."),
        // Outbox
        Family("outbox_pending_events", .gauge, "Outgoing events committed but not yet acknowledged by the broker, by service."),
        Family("outbox_oldest_age_seconds", .gauge, "Age of the oldest outgoing event waiting for the broker, by service (0 when none waits)."),
        Family("outbox_sent_total", .counter, "Outgoing events the broker acknowledged, by service."),
        Family("outbox_send_failures_total", .counter, "Outbox sends that failed and will be retried, by service."),
        // Access log
        Family("access_logged_total", .counter, "Disclosures of personal data recorded on access.logged.v1, by service."),
        Family("access_log_commits_total", .counter, "Store commits that carried access records (each carries one or more), by service."),
        Family("access_log_failures_total", .counter, "Access records that could not be committed (the data was then not disclosed), by service."),
        // Clock
        Family("clock_behind_messages_seconds", .gauge, "How far the host clock is behind the newest consumed message's timestamp, by service (0 when it is not)."),
        Family("clock_future_timestamps_ignored_total", .counter, "Consumed messages stamped more than CLOCK_MAX_AHEAD ahead of the host clock, not taken as the time (a producer's clock is wrong), by service."),
        // Readiness (evaluated at each scrape, as GET /health/ready would)
        Family("service_ready", .gauge, "1 when GET /health/ready would answer 200, else 0."),
        Family("service_ready_check", .gauge, "1 when the named readiness check passes (store, broker, consumers), else 0."),
        // registration-intake
        Family("intake_accepted_total", .counter, "Submissions accepted (registration.accepted.v1 events written)."),
        Family("intake_rejected_total", .counter, "Submissions rejected (registration.rejected.v1 events written)."),
        Family("intake_duplicate_submissions_total", .counter, "Submissions whose (source, id) was already decided; acknowledged without a new event."),
        Family("intake_misrouted_submissions_total", .counter, "Submissions that arrived in another partition than their person's and were sent on to it."),
        Family("intake_replicated_decisions_total", .counter, "Decisions of partitions other instances decide, applied to this instance's replica."),
        // address-index
        Family("index_repeated_events_total", .counter, "Accepted events whose per-IIN sequence was already applied (re-sent), ignored."),
        Family("index_sequence_gaps_total", .counter, "Accepted events that arrived ahead of a missing sequence number and were held back."),
        // notification
        Family("webhook_attempts_total", .counter, "Webhook delivery attempts."),
        Family("webhook_delivered_total", .counter, "Webhook deliveries answered with 2xx."),
        Family("webhook_dead_total", .counter, "Webhook deliveries given up after the whole retry schedule (status dead)."),
        Family("webhook_delivery_latency_seconds", .histogram, "Time a receiver took to answer one delivery attempt."),
        // audit
        Family("audit_sequencing", .gauge, "1 while this audit instance decides the order of the log (holds the internal log's partition), else 0."),
        Family("audit_pending_records_bytes", .gauge, "Bytes of records read from the audited topics and not yet in the log."),
        Family("audit_records_read_again_total", .counter, "Records the log's order named that this instance's reader had skipped, read again from the broker."),
        Family("audit_records_left_out_total", .counter, "Records this instance read that the log's order leaves out (the ordering instance never read them)."),
        // Build and process
        Family("build_info", .gauge, "Always 1; the labels say which build runs: service, version, commit, librdkafka."),
        Family("process_cpu_seconds_total", .counter, "User and system CPU time the process has used."),
        Family("process_resident_memory_bytes", .gauge, "Resident memory of the process (RSS)."),
        Family("process_virtual_memory_bytes", .gauge, "Virtual memory of the process."),
        Family("process_start_time_seconds", .gauge, "When the process started, in seconds since 1970."),
        Family("process_open_fds", .gauge, "File descriptors the process has open."),
        Family("process_max_fds", .gauge, "The process's limit on open file descriptors."),
    ]

    /// Help text by family name.
    static let help: [String: String] = Dictionary(uniqueKeysWithValues: families.map { ($0.name, $0.help) })

    /// The Prometheus name of a swift-metrics label recorded by a library: Hummingbird's HTTP
    /// metrics get their unit and `_total`; every other label is kept (the factory turns dots
    /// into underscores).
    public static func prometheusName(_ label: String) -> String {
        switch label {
        case "http.server.request.duration": "http_server_request_duration_seconds"
        case "hb.requests": "http_server_requests_total"
        case "hb.request.errors": "http_server_request_errors_total"
        case "http.server.active_requests": "http_server_active_requests"
        default: label
        }
    }

    /// The metrics factory the services bootstrap: Prometheus, with library names mapped
    /// through ``prometheusName(_:)``.
    public static func factory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { label, dimensions in (prometheusName(label), dimensions) }
        return factory
    }
}
