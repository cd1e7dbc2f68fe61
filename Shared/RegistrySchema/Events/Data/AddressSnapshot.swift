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

    private enum CodingKeys: String, CodingKey {
        case rca, kato, region, locality, street, building, flat
    }
}

extension AddressSnapshot: JSONReadable, JSONObjectFields {
    /// Reads the fields as the synthesized `init(from:)` does.
    public init(json reader: inout JSONReader) throws(JSONReader.Miss) {
        var rca: RCA?, kato: KATO?, region: String?, locality: String?, street: String?, building: String?, flat: String?
        try reader.readObject { (r: inout JSONReader, key: JSONKey) throws(JSONReader.Miss) in
            switch key {
            case "rca": rca = try RCA(json: &r)
            case "kato": kato = try KATO(json: &r)
            case "region": region = try r.readString()
            case "locality": locality = try r.readString()
            case "street": street = try r.readString()
            case "building": building = try r.readString()
            case "flat": flat = try r.readStringIfPresent()
            default: try r.skipValue()
            }
        }
        guard let rca, let kato, let region, let locality, let street, let building else { throw JSONReader.Miss() }
        self.init(rca: rca, kato: kato, region: region, locality: locality, street: street, building: building, flat: flat)
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
