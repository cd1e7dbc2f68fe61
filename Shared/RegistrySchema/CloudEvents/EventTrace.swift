// The CloudEvents distributed-tracing extension: which trace an event belongs to.

/// The W3C Trace Context of the work an event came from, carried as the CloudEvents
/// distributed-tracing extension attributes `traceparent` and `tracestate` (docs/architecture.md §4).
///
/// The registry carries the values as it finds them; the runtime checks a `traceparent` before
/// it continues a trace from one. An event has a trace only when what caused it had one, so
/// events of untraced submissions carry no extra attribute.
public struct EventTrace: Hashable, Sendable {
    /// `traceparent`: `version-traceid-parentid-flags`, e.g.
    /// `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`.
    public var traceparent: String
    /// `tracestate`: vendor-specific entries, when there are any.
    public var tracestate: String?

    /// The CloudEvent attribute (and header) names.
    public static let traceparentName = "traceparent"
    /// The CloudEvent attribute (and header) name of ``tracestate``.
    public static let tracestateName = "tracestate"

    /// Creates a trace context from its two values.
    public init(traceparent: String, tracestate: String? = nil) {
        self.traceparent = traceparent
        self.tracestate = tracestate
    }

    /// A trace context from values that may be missing: `nil` without a `traceparent` (a
    /// `tracestate` alone means nothing); an empty `tracestate` is none.
    public static func present(traceparent: String?, tracestate: String?) -> EventTrace? {
        guard let traceparent, !traceparent.isEmpty else { return nil }
        return EventTrace(traceparent: traceparent, tracestate: tracestate?.isEmpty == true ? nil : tracestate)
    }
}
