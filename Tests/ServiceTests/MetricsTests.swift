// /metrics of a real service process shows what operators need (docs/architecture.md §5, issue #4).

import Foundation
import GRDB
import JWTKit
import Kafka
import ServiceRuntime
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3))) struct MetricsTests {
    /// The counting test service runs as its own process (so its metrics system is its own),
    /// applies messages, dead-letters a poison one and answers HTTP; then /metrics has each family.
    @Test func metricsShowHTTPLatencyLagBatchesOutboxAndDeadLetters() async throws {
        let prefix = TestBroker.uniqueName("metrics") + "."
        let input = prefix + "input"
        let output = prefix + "output"
        try await TestBroker.createTopics([input, output, prefix + "deadletter.v1"], partitions: 2)
        let port = try ChildProcess.freePort()
        let dataDirectory = NSTemporaryDirectory() + "metrics-" + UUID().uuidString
        let child = try ChildProcess("CrashTestProcessor", environment: [
            "DATA_DIR": dataDirectory, "INPUT_TOPIC": input, "OUTPUT_TOPIC": output, "HTTP_PORT": "\(port)",
            "REGISTRY_JWT_SECRET": TestSecrets.jwt, "REGISTRY_TOPIC_PREFIX": prefix, "LOG_LEVEL": "warning",
            "KAFKA_STATISTICS_INTERVAL_MS": "500",
        ])
        defer { Task { await child.kill() } }

        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try TestBroker.clientConfiguration()), logger: TestBroker.logger)
        _ = try await producer.send((0..<100).map { KafkaProducerMessage(topic: input, key: "k\($0 % 7)", value: Array("\($0)".utf8)) })
        _ = try await producer.send([KafkaProducerMessage(topic: input, key: "k0", value: Array("not a number".utf8))])

        let database = try DatabaseQueue(path: dataDirectory + "/crash-test.sqlite", configuration: { var c = Configuration(); c.readonly = true; return c }())
        try await waitUntil("the service applied the messages", timeout: .seconds(60)) {
            (try? await database.read { try Int.fetchOne($0, sql: "SELECT COALESCE(SUM(n), 0) FROM counts") }) == 100
        }
        let base = "http://127.0.0.1:\(port)"
        #expect(await httpGet(base + "/health/live")?.status == 200)
        #expect(await httpGet(base + "/metrics")?.status == 401, "metrics are for operators")

        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: TestSecrets.jwt), digestAlgorithm: .sha256)
        let token = try await keys.sign(RegistryTokenClaims(sub: "prometheus", role: .operator, scope: nil, org: nil, expires: Date().addingTimeInterval(600)))
        let wanted = [
            "HTTP latency by route and status": #"http_server_request_duration_seconds_bucket\{[^}]*http_route="/health/live"[^}]*http_response_status_code="200""#,
            "HTTP requests": #"http_server_requests_total\{[^}]*http_route="/health/live"[^}]*\} [1-9]"#,
            "consumer lag per partition": #"kafka_consumer_lag_messages\{[^}]*partition="[01]"[^}]*\} \d+"#,
            "batch size": #"engine_batch_size_messages_(count|sum|bucket)[^\n]* \d+"#,
            "batch apply time": #"engine_batch_apply_seconds_bucket\{"#,
            "outbox pending events": #"outbox_pending_events\{service="crash-test"\} \d+"#,
            "outbox oldest row age": #"outbox_oldest_age_seconds\{service="crash-test"\}"#,
            "dead letters": #"engine_dead_letters_total\{service="crash-test"\} 1"#,
            "which build runs": #"build_info\{[^}]*service="crash-test"[^}]*\} 1"#,
            "resident memory": #"process_resident_memory_bytes [1-9]\d*"#,
            "CPU time": #"process_cpu_seconds_total \d"#,
            "readiness": #"service_ready_check\{check="broker"\} [01]"#,
        ]
        var text = ""
        try await waitUntil("every metric family is present (lag arrives with the first statistics)", timeout: .seconds(30)) {
            text = await httpGet(base + "/metrics", headers: ["Authorization": "Bearer \(token)"])?.body ?? ""
            return wanted.values.allSatisfy { text.range(of: $0, options: .regularExpression) != nil }
        }
        for (what, pattern) in wanted.sorted(by: { $0.key < $1.key }) {
            let line = text.split(separator: "\n").first { $0.range(of: pattern, options: .regularExpression) != nil }
            #expect(line != nil, "\(what)")
            print("metrics: \(what): \(line ?? "missing")")
        }

        // Every family is documented: `# HELP` before its `# TYPE`, the type the catalog says,
        // counters ending in _total (promtool check metrics lints the same in scripts/checks).
        let lines = text.split(separator: "\n").map(String.init)
        let families = lines.filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ").map(String.init) }
        #expect(families.count >= 20, "\(families.count) families")
        for family in families {
            let (name, kind) = (family[2], family[3])
            #expect(lines.contains { $0.hasPrefix("# HELP \(name) ") }, "\(name) has no # HELP: add it to MetricCatalog")
            #expect(MetricCatalog.families.first { $0.name == name }?.kind.rawValue == kind, "\(name) is a \(kind), not as MetricCatalog says")
            if kind == "counter" { #expect(name.hasSuffix("_total"), "counter \(name) does not end in _total") }
        }
        print("metrics: \(families.count) families, each with # HELP and the catalogued type")
    }

    @Test func processFiguresAreReadFromProcStat() throws {
        // proc(5): the command name may hold spaces and parentheses; 14/15 user/system ticks,
        // 22 start ticks after boot, 23 virtual bytes, 24 resident pages.
        let line = "4242 (odd) name) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 9 0 1000 123456789 300 18446744073709551615"
        let metrics = try #require(ProcessMetrics.parse(stat: line, bootTime: 1_700_000_000, ticksPerSecond: 100, pageSize: 4096))
        #expect(metrics.cpuSeconds == 3)
        #expect(metrics.startTimeSeconds == 1_700_000_010)
        #expect(metrics.virtualBytes == 123_456_789)
        #expect(metrics.residentBytes == 300 * 4096)
        let current = try #require(ProcessMetrics.current(), "this is Linux: /proc is there")
        #expect(current.residentBytes > 0 && current.openFileDescriptors > 0 && current.maximumFileDescriptors > 0)
    }
}
