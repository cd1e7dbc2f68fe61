// Span export with OpenTelemetry (OTLP over HTTP), on only when OTEL_EXPORTER_OTLP_ENDPOINT is set.

import Logging
import OTel
import ServiceLifecycle

/// Turns on span export when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (docs/architecture.md §7), with swift-otel's
/// OTLP/HTTP exporter (protobuf): the standard `OTEL_*` variables (`OTEL_SERVICE_NAME`,
/// `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_TRACES_SAMPLER`, …) apply. Unset, no tracer is made and
/// trace context is only carried on (``EventTracing``).
///
/// Only swift-otel's OTLP/HTTP exporter is built (its `OTLPHTTP` trait): the gRPC one would
/// bring grpc-swift into every build. `OTEL_EXPORTER_OTLP_PROTOCOL=grpc` is refused at start.
public enum TraceExporter {
    /// The variable that turns export on.
    public static let endpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT"

    /// Starts span export if `environment` asks for it: bootstraps the tracer (``EventTracing``).
    /// - Returns: The service that batches and sends the spans (run it with the others: it sends
    ///   what is left on shutdown), or `nil` when export is off.
    /// - Throws: swift-otel's error for a configuration it refuses (an unsupported protocol, a
    ///   malformed `OTEL_*` value).
    public static func start(service: String, environment: [String: String], logger: Logger) throws -> (any Service)? {
        guard let endpoint = environment[endpointVariable], !endpoint.isEmpty else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = service
        configuration.diagnosticLogger = .custom(logger)
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.enabled = true
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        EventTracing.bootstrap(backend.factory)
        logger.info("exporting spans with OTLP/HTTP", metadata: ["endpoint": "\(endpoint)"])
        return backend.service
    }
}
