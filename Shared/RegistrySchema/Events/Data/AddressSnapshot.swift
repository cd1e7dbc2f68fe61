// The address snapshot carried by registration and change events (docs/architecture.md §4.2).

/// A dwelling's address as the catalog described it when an event was made: the catalog
/// object of docs/architecture.md §4.2 without `residential` and `owners`.
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
}

extension AddressSnapshot: JSONObjectReadable, JSONObjectFields {
    /// Reads the members; `flat` may be absent or `null` (`nil`).
    public init<Fields: JSONFieldReading>(fields r: inout Fields) throws(Fields.Failure) {
        building = try r.field("building")
        flat = try r.fieldIfPresent("flat")
        kato = try r.field("kato")
        locality = try r.field("locality")
        rca = try r.field("rca")
        region = try r.field("region")
        street = try r.field("street")
    }

    /// Writes every field, `flat` as `null` when absent.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("building", building)
        w.field("flat", flat)
        w.field("kato", kato)
        w.field("locality", locality)
        w.field("rca", rca)
        w.field("region", region)
        w.field("street", street)
    }
}
