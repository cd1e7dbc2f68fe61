// The authenticated caller.

/// The roles of DESIGN §5.1.
public enum Role: String, Sendable, Codable, CaseIterable {
    case citizen, agency, upstream, auditor, `operator`
}

/// Who is calling, from a verified token's claims.
public struct Principal: Sendable, Hashable {
    /// `sub`: an IIN for citizens, a BIN or system name otherwise.
    public let subject: String
    /// `role`.
    public let role: Role
    /// `scope`, split on spaces.
    public let scopes: Set<String>
    /// `org`: the organisation's display name.
    public let organisation: String?

    /// Creates a principal.
    public init(subject: String, role: Role, scopes: Set<String>, organisation: String?) {
        self.subject = subject
        self.role = role
        self.scopes = scopes
        self.organisation = organisation
    }
}
