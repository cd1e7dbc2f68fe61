// The permissions an agency token can carry.

/// A permission in an agency token's `scope` claim (docs/architecture.md §5.1). Tokens carry
/// scopes as text; routes name them with this type, so a misspelt scope does not compile.
public enum Scope: String, CaseIterable, Sendable {
    /// Any person's registration and history.
    case addressRead = "address:read"
    /// The batch lookup.
    case addressBulk = "address:bulk"
    /// The residents of any dwelling.
    case residentsRead = "residents:read"
    /// Managing the agency's own subscriptions.
    case subscriptionsWrite = "subscriptions:write"
}
