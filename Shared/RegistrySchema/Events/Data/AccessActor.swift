// The `actor` of an access.logged event (DESIGN §4.8, §5.1).

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

    /// Encodes every field, `org` as `null` when absent.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sub, forKey: .sub)
        try container.encode(role, forKey: .role)
        try container.encode(org, forKey: .org)
    }
}
