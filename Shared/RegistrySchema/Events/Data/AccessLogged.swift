// kz.registry.access.logged.v1: one answered request that disclosed personal data (docs/architecture.md §4.8).

/// The `data` of `kz.registry.access.logged.v1`: who read whose data, why and how.
public struct AccessLogged: RegistryEventData, Hashable {
    /// `kz.registry.access.logged.v1`.
    public static var eventType: EventType { .accessLogged }

    /// The service that answered, e.g. `address-index`.
    public var service: String
    /// Who asked.
    public var actor: AccessActor
    /// The legal ground (`X-Purpose`); `nil` when the role needs none (encoded as `null`).
    public var purpose: String?
    /// What was done, e.g. `registration.read`.
    public var action: String
    /// Whose data was disclosed: IINs or RCAs.
    public var subjects: [String]
    /// The HTTP method.
    public var method: String
    /// The request path.
    public var path: String
    /// The HTTP status answered.
    public var status: Int
    /// When it was answered.
    public var at: Timestamp

    /// Creates an access record.
    public init(
        service: String, actor: AccessActor, purpose: String?, action: String, subjects: [String],
        method: String, path: String, status: Int, at: Timestamp
    ) {
        self.service = service
        self.actor = actor
        self.purpose = purpose
        self.action = action
        self.subjects = subjects
        self.method = method
        self.path = path
        self.status = status
        self.at = at
    }

    /// `nil`: an access may concern several subjects (they are in ``subjects``).
    public var eventSubject: String? { nil }
}

extension AccessLogged: JSONObjectReadable, JSONObjectFields {
    /// Reads the members; `purpose` may be absent or `null` (`nil`).
    public init<Fields: JSONFieldReading>(fields r: inout Fields) throws(Fields.Failure) {
        action = try r.field("action")
        actor = try r.field("actor")
        at = try r.field("at")
        method = try r.field("method")
        path = try r.field("path")
        purpose = try r.fieldIfPresent("purpose")
        service = try r.field("service")
        status = try r.field("status")
        subjects = try r.field("subjects")
    }

    /// Writes every field, `purpose` as `null` when absent.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("action", action)
        w.field("actor", actor)
        w.field("at", at)
        w.field("method", method)
        w.field("path", path)
        w.field("purpose", purpose)
        w.field("service", service)
        w.field("status", status)
        w.field("subjects", array: subjects)
    }
}
