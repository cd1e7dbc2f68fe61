// Which of a person's registrations a deregistration ends: the `registration` field (docs/architecture.md §4.3).

/// One of the two registrations a person may hold at once: `permanent` | `temporary`.
public enum RegistrationTerm: String, CaseIterable, Sendable, Codable {
    /// The permanent registration (the default a deregistration ends).
    case permanent
    /// The temporary registration.
    case temporary

    /// Decodes the string; an unknown one throws with an ``UnknownValueError``.
    public init(from decoder: any Decoder) throws {
        self = try Self.decodeContractValue(from: decoder, field: "registration")
    }
}

extension RegistrationTerm: JSONReadable, JSONWritable {}
