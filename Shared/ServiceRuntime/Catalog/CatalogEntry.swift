// One dwelling of a service's catalog copy (docs/architecture.md §4.2).

import RegistrySchema

/// A dwelling as the address register last described it.
public struct CatalogEntry: Hashable, Sendable, Codable {
    /// The address as events carry it.
    public var address: AddressSnapshot
    /// Whether people may be registered there.
    public var residential: Bool
    /// The owners; empty for state or municipal housing.
    public var owners: [IIN]
    /// Whether the register retired it (it stays known, so a retired RCA is told apart from a typo).
    public var retired: Bool

    /// Creates an entry.
    public init(address: AddressSnapshot, residential: Bool, owners: [IIN], retired: Bool = false) {
        self.address = address
        self.residential = residential
        self.owners = owners
        self.retired = retired
    }

    /// The entry an `address.upserted` event describes.
    public init(_ upserted: AddressUpserted) {
        self.init(address: upserted.snapshot, residential: upserted.residential, owners: upserted.owners)
    }
}

extension CatalogEntry: JSONObjectReadable, JSONObjectFields {
    /// Reads the members; every one is required.
    public init<Fields: JSONFieldReading>(fields r: inout Fields) throws(Fields.Failure) {
        address = try r.field("address")
        owners = try r.field("owners")
        residential = try r.field("residential")
        retired = try r.field("retired")
    }

    /// Writes the stored form (every field).
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("address", address)
        w.field("owners", array: owners)
        w.field("residential", residential)
        w.field("retired", retired)
    }
}
