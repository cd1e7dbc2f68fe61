// The `kind` of a submission or accepted registration (docs/architecture.md §4.3).

/// What a submission asks for: `permanent` | `temporary` | `deregistration`.
public enum RegistrationKind: String, CaseIterable, Sendable, Codable {
    /// Register at a permanent address (replacing the current one: a move).
    case permanent
    /// Register at a temporary address until `validUntil` (exclusive).
    case temporary
    /// End a permanent or temporary registration.
    case deregistration

    /// Decodes the string; an unknown one throws with an ``UnknownValueError`` ("unknown kind 'x'").
    public init(from decoder: any Decoder) throws {
        self = try Self.decodeContractValue(from: decoder, field: "kind")
    }
}

extension RegistrationKind: JSONReadable, JSONWritable {}
