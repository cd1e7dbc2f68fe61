// kz.registry.address.retired.v1: a catalog entry withdrawn (docs/architecture.md §4.2).

/// The `data` of `kz.registry.address.retired.v1`: the dwelling no longer exists for
/// registration (`UNKNOWN_ADDRESS` from now on).
public struct AddressRetired: RegistryEventData, Hashable {
    /// `kz.registry.address.retired.v1`.
    public static var eventType: EventType { .addressRetired }

    /// The retired dwelling's code.
    public var rca: RCA

    /// Creates a retirement.
    public init(rca: RCA) {
        self.rca = rca
    }

    /// The RCA.
    public var eventSubject: String? { rca.rawValue }
}
