// The authenticated caller.

/// The roles of docs/architecture.md §5.1.
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
    /// `sources` (upstream systems): the CloudEvent sources it may submit under; an entry ending
    /// in `/` is a prefix. Empty when the token has none.
    public let sources: [String]

    /// Creates a principal.
    public init(subject: String, role: Role, scopes: Set<String>, organisation: String?, sources: [String] = []) {
        self.subject = subject
        self.role = role
        self.scopes = scopes
        self.organisation = organisation
        self.sources = sources
    }

    /// Whether the token's `sources` allow the CloudEvent source `source`: an entry equal to it,
    /// or an entry ending in `/` that it starts with.
    public func mayUse(source: String) -> Bool {
        sources.contains { allowed in allowed == source || (allowed.hasSuffix("/") && source.hasPrefix(allowed)) }
    }
}
