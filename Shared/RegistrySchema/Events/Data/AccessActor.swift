// The `actor` of an access.logged event (docs/architecture.md §4.8, §5.1).

/// Who made a request, from their token's claims.
public struct AccessActor: Hashable, Sendable, Codable {
    /// `sub`: an IIN for citizens, a BIN or system name otherwise.
    public var sub: String
    /// `role`: `citizen`, `agency`, `upstream`, `auditor` or `operator`.
    public var role: String
    /// `org`: the organisation's display name, when the token has one (encoded as `null` otherwise).
    public var org: String?

    /// Creates an actor.
    public init(sub: String, role: String, org: String?) {
        self.sub = sub
        self.role = role
        self.org = org
    }

    private enum CodingKeys: String, CodingKey {
        case sub, role, org
    }
}

extension AccessActor: JSONReadable, JSONObjectFields {
    /// Reads the fields as the synthesized `init(from:)` does.
    public init(json reader: inout JSONReader) throws(JSONReader.Miss) {
        var sub: String?, role: String?, org: String?
        try reader.readObject { (r: inout JSONReader, key: JSONKey) throws(JSONReader.Miss) in
            switch key {
            case "sub": sub = try r.readString()
            case "role": role = try r.readString()
            case "org": org = try r.readStringIfPresent()
            default: try r.skipValue()
            }
        }
        guard let sub, let role else { throw JSONReader.Miss() }
        self.init(sub: sub, role: role, org: org)
    }

    /// Writes every field, `org` as `null` when absent.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("org", org)
        w.field("role", role)
        w.field("sub", sub)
    }
}
