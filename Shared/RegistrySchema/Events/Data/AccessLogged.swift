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

    private enum CodingKeys: String, CodingKey {
        case service, actor, purpose, action, subjects, method, path, status, at
    }

    /// Decodes the fields; an absent or `null` purpose is `nil`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        service = try container.decode(String.self, forKey: .service)
        actor = try container.decode(AccessActor.self, forKey: .actor)
        purpose = try container.decodeIfPresent(String.self, forKey: .purpose)
        action = try container.decode(String.self, forKey: .action)
        subjects = try container.decode([String].self, forKey: .subjects)
        method = try container.decode(String.self, forKey: .method)
        path = try container.decode(String.self, forKey: .path)
        status = try container.decodeInteger(Int.self, forKey: .status)
        at = try container.decode(Timestamp.self, forKey: .at)
    }
}

extension AccessLogged: JSONReadable, JSONObjectFields {
    /// Reads the fields as ``init(from:)`` does.
    public init(json reader: inout JSONReader) throws(JSONReader.Miss) {
        var service: String?, actor: AccessActor?, purpose: String?, action: String?, subjects: [String]?
        var method: String?, path: String?, status: Int?, at: Timestamp?
        try reader.readObject { (r: inout JSONReader, key: JSONKey) throws(JSONReader.Miss) in
            switch key {
            case "service": service = try r.readString()
            case "actor": actor = try AccessActor(json: &r)
            case "purpose": purpose = try r.readStringIfPresent()
            case "action": action = try r.readString()
            case "subjects": subjects = try r.readArray(of: String.self)
            case "method": method = try r.readString()
            case "path": path = try r.readString()
            case "status": status = try r.readInt()
            case "at": at = try Timestamp(json: &r)
            default: try r.skipValue()
            }
        }
        guard let service, let actor, let action, let subjects, let method, let path, let status, let at else { throw JSONReader.Miss() }
        self.init(service: service, actor: actor, purpose: purpose, action: action, subjects: subjects, method: method, path: path, status: status, at: at)
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
