// GET /health/ready and GET /metrics.

import Foundation
import Hummingbird
import Metrics
import Prometheus

/// One readiness condition: a name and a check.
public struct ReadinessCheck: Sendable {
    /// What is checked, e.g. `store`, `broker`, `consumers`.
    public let name: String
    /// True when ready.
    public let check: @Sendable () async -> Bool

    /// Creates a check.
    public init(_ name: String, _ check: @escaping @Sendable () async -> Bool) {
        self.name = name
        self.check = check
    }
}

/// Serves `/health/ready` (200 only when every check passes; 503 naming the failing ones) and
/// `/metrics` (Prometheus text, for the `operator` role).
public struct OperationsController: Sendable {
    let checks: [ReadinessCheck]
    let registry: PrometheusCollectorRegistry

    /// Creates the controller.
    public init(checks: [ReadinessCheck], registry: PrometheusCollectorRegistry) {
        self.checks = checks
        self.registry = registry
    }

    /// Adds the routes.
    public func addRoutes(to routes: RouteTable) {
        routes.add(.get, "/health/ready") { _, _ -> Response in
            let results = await evaluate()
            let ready = results.values.allSatisfy { $0 }
            return try JSONAnswer.response(
                ["status": ready ? "ready" : "not-ready", "checks": results.mapValues { $0 ? "ok" : "failing" }], status: ready ? .ok : .serviceUnavailable)
        }
        // docs/architecture.md §5.1: metrics are for operators (Prometheus sends the token as a bearer credential).
        routes.add(.get, "/metrics", policy: AccessPolicy(.role(.operator))) { _, _, _ -> Response in
            // Readiness as a metric, so an alert can see what /health/ready would answer.
            let results = await evaluate()
            for (name, ok) in results { Gauge(label: "service_ready_check", dimensions: [("check", name)]).record(ok ? 1 : 0) }
            Gauge(label: "service_ready").record(results.values.allSatisfy { $0 } ? 1 : 0)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: MetricsExposition.text(registry: registry))))
        }
    }

    /// Runs every check.
    func evaluate() async -> [String: Bool] {
        var results: [String: Bool] = [:]
        for check in checks { results[check.name] = await check.check() }
        return results
    }
}
