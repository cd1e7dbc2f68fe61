// kz.registry.notification.outcome.v1: one webhook delivery attempt's result (docs/architecture.md §4.8).

/// The `data` of `kz.registry.notification.outcome.v1`.
public struct NotificationOutcome: RegistryEventData, Hashable, JSONObjectFields, JSONObjectReadable {
    /// `kz.registry.notification.outcome.v1`.
    public static var eventType: EventType { .notificationOutcome }

    /// The subscription delivered to (the message key).
    public var subscriptionId: String
    /// The CloudEvent `id` of the event delivered.
    public var eventId: String
    /// Where the delivery stands.
    public var status: DeliveryStatus
    /// The attempt number, from 1.
    public var attempt: Int
    /// The endpoint's HTTP status; `nil` when none came (timeout, connection error).
    public var httpStatus: Int?
    /// How long the attempt took in milliseconds; `nil` when not measured.
    public var latencyMs: Int?

    /// Creates an outcome.
    public init(subscriptionId: String, eventId: String, status: DeliveryStatus, attempt: Int, httpStatus: Int?, latencyMs: Int?) {
        self.subscriptionId = subscriptionId
        self.eventId = eventId
        self.status = status
        self.attempt = attempt
        self.httpStatus = httpStatus
        self.latencyMs = latencyMs
    }

    /// `nil`: an outcome is about a subscription, not a person or a dwelling.
    public var eventSubject: String? { nil }

    /// Reads the members; `httpStatus` and `latencyMs` may be absent or `null` (`nil`).
    public init<Fields: JSONFieldReading>(fields r: inout Fields) throws(Fields.Failure) {
        attempt = try r.field("attempt")
        eventId = try r.field("eventId")
        httpStatus = try r.fieldIfPresent("httpStatus")
        latencyMs = try r.fieldIfPresent("latencyMs")
        status = try r.field("status")
        subscriptionId = try r.field("subscriptionId")
    }

    /// Writes every field; absent optional ones as `null`.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("attempt", attempt)
        w.field("eventId", eventId)
        w.field("httpStatus", httpStatus)
        w.field("latencyMs", latencyMs)
        w.field("status", status)
        w.field("subscriptionId", subscriptionId)
    }
}
