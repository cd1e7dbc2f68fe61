// The `change` of an address.changed event (docs/architecture.md §4.7).

/// How a person's registered address changed.
public enum AddressChangeKind: String, CaseIterable, Sendable, Codable {
    /// The first permanent registration.
    case registered
    /// A permanent registration replaced another.
    case moved
    /// A registration ended by deregistration.
    case deregistered
    /// A temporary registration started.
    case temporaryRegistered = "temporary-registered"
    /// A temporary registration ran out (the day after its `validUntil`).
    case temporaryEnded = "temporary-ended"

    /// Decodes the string; an unknown one throws with an ``UnknownValueError``.
    public init(from decoder: any Decoder) throws {
        self = try Self.decodeContractValue(from: decoder, field: "change")
    }
}

extension AddressChangeKind: JSONReadable, JSONWritable {}
