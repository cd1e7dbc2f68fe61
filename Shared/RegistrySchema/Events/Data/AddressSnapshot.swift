// The address snapshot carried by registration and change events (DESIGN §4.2).

/// A dwelling's address as the catalog described it when an event was made: the catalog
/// object of DESIGN §4.2 without `residential` and `owners`.
public struct AddressSnapshot: Hashable, Sendable, Codable {
    /// The dwelling's code.
    public var rca: RCA
    /// The territorial classifier code.
    public var kato: KATO
    /// The region, e.g. `Алматы`.
    public var region: String
    /// The city, town or village.
    public var locality: String
    /// The street.
    public var street: String
    /// The building number.
    public var building: String
    /// The flat, or `nil` for a house (encoded as `null`).
    public var flat: String?

    /// Creates a snapshot.
    public init(rca: RCA, kato: KATO, region: String, locality: String, street: String, building: String, flat: String?) {
        self.rca = rca
        self.kato = kato
        self.region = region
        self.locality = locality
        self.street = street
        self.building = building
        self.flat = flat
    }

    private enum CodingKeys: String, CodingKey {
        case rca, kato, region, locality, street, building, flat
    }

    /// Encodes every field, `flat` as `null` when absent.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rca, forKey: .rca)
        try container.encode(kato, forKey: .kato)
        try container.encode(region, forKey: .region)
        try container.encode(locality, forKey: .locality)
        try container.encode(street, forKey: .street)
        try container.encode(building, forKey: .building)
        try container.encode(flat, forKey: .flat)
    }
}
