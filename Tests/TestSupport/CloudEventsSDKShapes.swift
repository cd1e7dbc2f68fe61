// Headers exactly as the CloudEvents Java and Go SDKs write them by default: binary content mode.

/// The headers of an event in binary content mode as the SDKs produce them by default, in the
/// order they write them, for tests that must see what a real upstream system sends.
///
/// - Java (`io.cloudevents:cloudevents-kafka`, `CloudEventSerializer`, encoding `BINARY` unless
///   configured): `ce_specversion` first, then `ce_id`, `ce_source`, `ce_type`, `content-type` for
///   `datacontenttype`, `ce_subject`, `ce_time`, then extensions as `ce_<name>`; `ce_time` is
///   `DateTimeFormatter.ISO_OFFSET_DATE_TIME` of an `OffsetDateTime` (the producer's offset,
///   fractions as the clock gives them: `2026-11-24T15:15:30.123456+05:00`). Over HTTP the same
///   names with `ce-`.
/// - Go (`github.com/cloudevents/sdk-go`, binary by default): `ce_` + attribute name on Kafka
///   (`kafka_sarama`), `Ce-` + name in Go's canonical header case over HTTP (`Ce-Specversion`);
///   `content-type` / `Content-Type` for `datacontenttype`; times in UTC as RFC 3339 with
///   nanoseconds (`2026-11-24T10:15:30.123456789Z`).
///
/// The distributed-tracing extension travels as `ce_traceparent`/`ce_tracestate` (`ce-…` over
/// HTTP); tracing instrumentation adds a plain `traceparent` header of its own.
public enum CloudEventsSDKShapes {
    /// An event's attributes, as an SDK user sets them.
    public struct Attributes: Sendable {
        public var id: String
        public var source: String
        public var type: String
        public var subject: String?
        /// The time as the SDK writes it.
        public var time: String
        public var traceparent: String?
        public var tracestate: String?

        public init(id: String, source: String, type: String, subject: String?, time: String, traceparent: String? = nil, tracestate: String? = nil) {
            self.id = id
            self.source = source
            self.type = type
            self.subject = subject
            self.time = time
            self.traceparent = traceparent
            self.tracestate = tracestate
        }
    }

    /// A Java `OffsetDateTime` in Almaty (UTC+5), microseconds, as `ISO_OFFSET_DATE_TIME` writes it.
    public static let javaTime = "2026-11-24T15:15:30.123456+05:00"
    /// The same instant as Go's `types.Timestamp` writes it (UTC, `RFC3339Nano`).
    public static let goTime = "2026-11-24T10:15:30.123456Z"

    /// Java's `CloudEventSerializer` headers on Kafka.
    public static func javaKafka(_ a: Attributes) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = [
            ("ce_specversion", "1.0"), ("ce_id", a.id), ("ce_source", a.source), ("ce_type", a.type), ("content-type", "application/json"),
        ]
        if let subject = a.subject { headers.append(("ce_subject", subject)) }
        headers.append(("ce_time", a.time))
        if let traceparent = a.traceparent { headers.append(("ce_traceparent", traceparent)) }
        if let tracestate = a.tracestate { headers.append(("ce_tracestate", tracestate)) }
        return headers
    }

    /// Go's `kafka_sarama` headers.
    public static func goKafka(_ a: Attributes) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = [("ce_specversion", "1.0"), ("ce_id", a.id), ("ce_source", a.source), ("ce_type", a.type)]
        if let subject = a.subject { headers.append(("ce_subject", subject)) }
        headers += [("ce_time", a.time), ("content-type", "application/json")]
        if let traceparent = a.traceparent { headers.append(("ce_traceparent", traceparent)) }
        if let tracestate = a.tracestate { headers.append(("ce_tracestate", tracestate)) }
        return headers
    }

    /// Go's HTTP binding headers (canonical case).
    public static func goHTTP(_ a: Attributes) -> [(name: String, value: String)] {
        goKafka(a).map { header in
            header.name == "content-type" ? ("Content-Type", header.value) : ("Ce-" + capitalized(String(header.name.dropFirst(3))), header.value)
        }
    }

    /// Java's HTTP binding headers (lower case).
    public static func javaHTTP(_ a: Attributes) -> [(name: String, value: String)] {
        javaKafka(a).map { header in header.name == "content-type" ? header : ("ce-" + header.name.dropFirst(3), header.value) }
    }

    private static func capitalized(_ name: String) -> String {
        name.prefix(1).uppercased() + name.dropFirst()
    }
}
