// A person's current permanent registration (docs/architecture.md §4.8, §5.2).

/// Where a person is permanently registered, and since when.
public struct PermanentRegistration: Hashable, Sendable, Codable {
    /// The address.
    public var address: AddressSnapshot
    /// The first day it holds.
    public var validFrom: CalendarDate

    /// Creates a permanent registration.
    public init(address: AddressSnapshot, validFrom: CalendarDate) {
        self.address = address
        self.validFrom = validFrom
    }
}

extension PermanentRegistration: JSONReadable, JSONObjectFields {
    /// Reads the fields as the synthesized `init(from:)` does.
    public init(json reader: inout JSONReader) throws(JSONReader.Miss) {
        var address: AddressSnapshot?, validFrom: CalendarDate?
        try reader.readObject { (r: inout JSONReader, key: JSONKey) throws(JSONReader.Miss) in
            switch key {
            case "address": address = try AddressSnapshot(json: &r)
            case "validFrom": validFrom = try CalendarDate(json: &r)
            default: try r.skipValue()
            }
        }
        guard let address, let validFrom else { throw JSONReader.Miss() }
        self.init(address: address, validFrom: validFrom)
    }

    /// Writes both fields.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("address", address)
        w.field("validFrom", validFrom)
    }
}
