// The `status` of a notification outcome (docs/architecture.md §4.8).

/// Where a webhook delivery stands: `delivered` | `retrying` | `dead`.
public enum DeliveryStatus: String, CaseIterable, Sendable, Codable {
    /// The endpoint answered 2xx.
    case delivered
    /// The attempt failed; another is scheduled.
    case retrying
    /// The retry schedule is exhausted; no more attempts.
    case dead

    /// Decodes the string; an unknown one throws with an ``UnknownValueError``.
    public init(from decoder: any Decoder) throws {
        self = try Self.decodeContractValue(from: decoder, field: "status")
    }
}

extension DeliveryStatus: JSONReadable, JSONWritable {}
