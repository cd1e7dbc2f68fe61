// Why a person is deregistered: the `reason` field (docs/architecture.md §4.3).

/// The ground of a deregistration: `emigration` | `death` | `court` | `owner-request` | `other`.
public enum DeregistrationReason: String, CaseIterable, Sendable, Codable {
    /// The person left the country.
    case emigration
    /// The person died.
    case death
    /// A court decision.
    case court
    /// The property owner asked for it.
    case ownerRequest = "owner-request"
    /// Any other ground.
    case other

    /// Decodes the string; an unknown one throws with an ``UnknownValueError``.
    public init(from decoder: any Decoder) throws {
        self = try Self.decodeContractValue(from: decoder, field: "reason")
    }
}

extension DeregistrationReason: JSONReadable, JSONWritable {}
