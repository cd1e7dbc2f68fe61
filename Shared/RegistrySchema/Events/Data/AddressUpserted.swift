// kz.registry.address.upserted.v1: a catalog entry created or changed (docs/architecture.md §4.2).

/// The `data` of `kz.registry.address.upserted.v1`: a dwelling as the address register holds it.
public struct AddressUpserted: RegistryEventData, Hashable, JSONObjectFields {
    /// `kz.registry.address.upserted.v1`.
    public static var eventType: EventType { .addressUpserted }

    /// The dwelling's code (the message key and the CloudEvent subject).
    public var rca: RCA
    /// The territorial classifier code.
    public var kato: KATO
    /// The region.
    public var region: String
    /// The city, town or village.
    public var locality: String
    /// The street.
    public var street: String
    /// The building number.
    public var building: String
    /// The flat, or `nil` (encoded as `null`).
    public var flat: String?
    /// Whether people may be registered here (`NOT_RESIDENTIAL` otherwise).
    public var residential: Bool
    /// The owners' IINs; empty for state or municipal housing (no owner consent needed).
    public var owners: [IIN]

    /// Creates a catalog entry.
    public init(
        rca: RCA, kato: KATO, region: String, locality: String, street: String, building: String,
        flat: String?, residential: Bool, owners: [IIN]
    ) {
        self.rca = rca
        self.kato = kato
        self.region = region
        self.locality = locality
        self.street = street
        self.building = building
        self.flat = flat
        self.residential = residential
        self.owners = owners
    }

    /// The address snapshot events carry: this entry without `residential` and `owners`.
    public var snapshot: AddressSnapshot {
        AddressSnapshot(rca: rca, kato: kato, region: region, locality: locality, street: street, building: building, flat: flat)
    }

    /// The RCA.
    public var eventSubject: String? { rca.rawValue }

    private enum CodingKeys: String, CodingKey {
        case rca, kato, region, locality, street, building, flat, residential, owners
    }

    /// Writes every field, `flat` as `null` when absent.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("building", building)
        w.field("flat", flat)
        w.field("kato", kato)
        w.field("locality", locality)
        w.field("owners", array: owners)
        w.field("rca", rca)
        w.field("region", region)
        w.field("residential", residential)
        w.field("street", street)
    }
}
