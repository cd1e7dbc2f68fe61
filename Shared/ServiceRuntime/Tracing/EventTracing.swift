// W3C Trace Context carried from a submission to every event derived from it (docs/architecture.md §4).

import Kafka
import RegistrySchema
import Synchronization
import Tracing
import W3CTraceContext

/// How the services carry W3C Trace Context through their events, and make spans when a tracer
/// is exporting them.
///
/// A message's trace is its `traceparent` (and `tracestate`) Kafka header, else its CloudEvent's
/// distributed-tracing attribute; a value that is not a valid `traceparent` is ignored (W3C: a
/// receiver that cannot parse it starts afresh). The events a message causes carry the trace on
/// (``withSpan(_:kind:continuing:_:)``): unchanged when no spans are exported, or the context of
/// the span that handled the message when they are (`OTEL_EXPORTER_OTLP_ENDPOINT`). An untraced
/// message with no exporter costs nothing: no span, no attribute, no header.
public enum EventTracing {
    private static let exporting = Atomic<Bool>(false)

    /// Whether spans are made and exported: set once at start when a tracer is bootstrapped.
    public static var isExporting: Bool { exporting.load(ordering: .relaxed) }

    /// Makes `tracer` the process's tracer and turns span making on. Call once, at start.
    public static func bootstrap(_ tracer: any Tracer) {
        InstrumentationSystem.bootstrap(tracer)
        exporting.store(true, ordering: .relaxed)
    }

    /// The trace a consumed message continues: its headers' (a transport's own context comes
    /// first, as tracing instrumentation of Kafka clients writes it), else its event's attribute.
    /// - Returns: A valid trace context, or `nil`.
    public static func trace(of message: KafkaConsumerMessage, event: EventTrace?) -> EventTrace? {
        valid(message.headerTrace) ?? valid(event)
    }

    /// `trace` if its `traceparent` is valid W3C Trace Context; a `tracestate` that is not is
    /// dropped (the `traceparent` alone is still worth carrying).
    public static func valid(_ trace: EventTrace?) -> EventTrace? {
        guard let trace else { return nil }
        if (try? TraceContext(traceParentHeaderValue: trace.traceparent, traceStateHeaderValue: trace.tracestate)) != nil { return trace }
        guard (try? TraceContext(traceParentHeaderValue: trace.traceparent)) != nil else { return nil }
        return EventTrace(traceparent: trace.traceparent)
    }

    /// Runs `body` as the work of one message, and gives it the trace its events carry.
    ///
    /// With spans exported, `body` runs in a span named `operation`, a child of `parent` (or the
    /// root of a new trace), and receives that span's context; otherwise it receives `parent`
    /// as it is.
    public static func withSpan<T>(
        _ operation: String, kind: SpanKind = .consumer, continuing parent: EventTrace?, _ body: (EventTrace?) throws -> T
    ) rethrows -> T {
        guard isExporting else { return try body(parent) }
        return try span(InstrumentationSystem.tracer, operation, kind: kind, parent: parent, body)
    }

    /// The asynchronous form of ``withSpan(_:kind:continuing:_:)`` (an outgoing request).
    public static func withSpan<T>(
        _ operation: String, kind: SpanKind, continuing parent: EventTrace?, _ body: (EventTrace?) async throws -> T
    ) async rethrows -> T {
        guard isExporting else { return try await body(parent) }
        return try await span(InstrumentationSystem.tracer, operation, kind: kind, parent: parent, body)
    }

    /// The trace of the work in progress (an HTTP request's server span), when spans are
    /// exported; otherwise `fallback`.
    public static func current(or fallback: EventTrace?) -> EventTrace? {
        guard isExporting, let context = InstrumentationContext.current else { return fallback }
        return trace(of: context) ?? fallback
    }

    // Generic over the tracer, so that `withSpan` (whose closure takes the tracer's own span
    // type) can be called on the bootstrapped existential.
    private static func span<Tracer: Tracing.Tracer, T>(
        _ tracer: Tracer, _ operation: String, kind: SpanKind, parent: EventTrace?, _ body: (EventTrace?) throws -> T
    ) rethrows -> T {
        try tracer.withSpan(operation, context: context(continuing: parent), ofKind: kind) { span in
            try body(trace(of: span.context) ?? parent)
        }
    }

    private static func span<Tracer: Tracing.Tracer, T>(
        _ tracer: Tracer, _ operation: String, kind: SpanKind, parent: EventTrace?, _ body: (EventTrace?) async throws -> T
    ) async rethrows -> T {
        try await tracer.withSpan(operation, context: context(continuing: parent), ofKind: kind) { span in
            try await body(trace(of: span.context) ?? parent)
        }
    }

    private static func context(continuing parent: EventTrace?) -> InstrumentationContext {
        var context = InstrumentationContext.topLevel
        if let parent { InstrumentationSystem.instrument.extract(parent, into: &context, using: EventTraceExtractor()) }
        return context
    }

    static func trace(of context: InstrumentationContext) -> EventTrace? {
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &carrier, using: DictionaryInjector())
        return EventTrace.present(traceparent: carrier[EventTrace.traceparentName], tracestate: carrier[EventTrace.tracestateName])
    }
}

/// Gives a tracer the `traceparent` and `tracestate` of an ``EventTrace``.
private struct EventTraceExtractor: Extractor {
    func extract(key: String, from carrier: EventTrace) -> String? {
        switch key {
        case EventTrace.traceparentName: carrier.traceparent
        case EventTrace.tracestateName: carrier.tracestate
        default: nil
        }
    }
}

/// Collects what a tracer propagates.
private struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key] = value
    }
}

extension KafkaConsumerMessage {
    /// The `traceparent` and `tracestate` headers, as they are (not checked).
    public var headerTrace: EventTrace? {
        var traceparent: String?, tracestate: String?
        for header in headers {
            if header.key == EventTrace.traceparentName { traceparent = header.stringValue }
            if header.key == EventTrace.tracestateName { tracestate = header.stringValue }
        }
        return EventTrace.present(traceparent: traceparent, tracestate: tracestate)
    }
}

extension EventTrace {
    /// The Kafka headers that carry this trace beside the event's attributes.
    public var kafkaHeaders: [KafkaHeader] {
        var headers = [KafkaHeader(key: EventTrace.traceparentName, string: traceparent)]
        if let tracestate { headers.append(KafkaHeader(key: EventTrace.tracestateName, string: tracestate)) }
        return headers
    }
}
