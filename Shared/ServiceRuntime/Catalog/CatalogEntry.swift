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

extension CatalogEntry: JSONReadable, JSONObjectFields {
    /// Reads the stored form as the synthesized `init(from:)` does.
    public init(json reader: inout JSONReader) throws(JSONReader.Miss) {
        var address: AddressSnapshot?, residential: Bool?, owners: [IIN]?, retired: Bool?
        try reader.readObject { (r: inout JSONReader, key: JSONKey) throws(JSONReader.Miss) in
            switch key {
            case "address": address = try AddressSnapshot(json: &r)
            case "residential": residential = try r.readBool()
            case "owners": owners = try r.readArray(of: IIN.self)
            case "retired": retired = try r.readBool()
            default: try r.skipValue()
            }
        }
        guard let address, let residential, let owners, let retired else { throw JSONReader.Miss() }
        self.init(address: address, residential: residential, owners: owners, retired: retired)
    }

    /// Writes the stored form (every field).
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("address", address)
        w.field("owners", array: owners)
        w.field("residential", residential)
        w.field("retired", retired)
    }
}
