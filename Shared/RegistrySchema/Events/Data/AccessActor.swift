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
}

extension AccessActor: JSONObjectReadable, JSONObjectFields {
    /// Reads the members; `org` may be absent or `null` (`nil`).
    public init<Fields: JSONFieldReading>(fields r: inout Fields) throws(Fields.Failure) {
        org = try r.fieldIfPresent("org")
        role = try r.field("role")
        sub = try r.field("sub")
    }

    /// Writes every field, `org` as `null` when absent.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("org", org)
        w.field("role", role)
        w.field("sub", sub)
    }
}
