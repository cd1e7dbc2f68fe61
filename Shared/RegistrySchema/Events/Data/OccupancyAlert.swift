// kz.registry.address.occupancy-alert.v1: the "rubber flat" signal (docs/architecture.md §4.8).

/// The `data` of `kz.registry.address.occupancy-alert.v1`: the number of people registered at
/// one dwelling first exceeded the threshold.
public struct OccupancyAlert: RegistryEventData, Hashable {
    /// `kz.registry.address.occupancy-alert.v1`.
    public static var eventType: EventType { .occupancyAlert }

    /// The dwelling.
    public var rca: RCA
    /// Its territorial classifier code.
    public var kato: KATO
    /// How many people are registered there now.
    public var residents: Int
    /// The threshold exceeded (`OCCUPANCY_ALERT_THRESHOLD`).
    public var threshold: Int

    /// Creates an alert.
    public init(rca: RCA, kato: KATO, residents: Int, threshold: Int) {
        self.rca = rca
        self.kato = kato
        self.residents = residents
        self.threshold = threshold
    }

    /// The RCA.
    public var eventSubject: String? { rca.rawValue }

    private enum CodingKeys: String, CodingKey {
        case rca, kato, residents, threshold
    }

    /// Decodes the fields.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        rca = try container.decode(RCA.self, forKey: .rca)
        kato = try container.decode(KATO.self, forKey: .kato)
        residents = try container.decodeInteger(Int.self, forKey: .residents)
        threshold = try container.decodeInteger(Int.self, forKey: .threshold)
    }
}
