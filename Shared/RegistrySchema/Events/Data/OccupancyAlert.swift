// kz.registry.address.occupancy-alert.v1: the "rubber flat" signal (docs/architecture.md §4.8).

/// The `data` of `kz.registry.address.occupancy-alert.v1`: the number of people registered at
/// one dwelling first exceeded the threshold.
public struct OccupancyAlert: RegistryEventData, Hashable, JSONObjectReadable {
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

    /// Reads the members; every one is required.
    public init<Fields: JSONFieldReading>(fields r: inout Fields) throws(Fields.Failure) {
        kato = try r.field("kato")
        rca = try r.field("rca")
        residents = try r.field("residents")
        threshold = try r.field("threshold")
    }
}
