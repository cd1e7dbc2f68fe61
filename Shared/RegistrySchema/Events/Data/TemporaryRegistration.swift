// A person's current temporary registration (docs/architecture.md §4.8, §5.2).

/// Where a person is temporarily registered, from when and until when.
public struct TemporaryRegistration: Hashable, Sendable, Codable {
    /// The address.
    public var address: AddressSnapshot
    /// The first day it holds.
    public var validFrom: CalendarDate
    /// The first day it no longer holds (exclusive).
    public var validUntil: CalendarDate

    /// Creates a temporary registration.
    public init(address: AddressSnapshot, validFrom: CalendarDate, validUntil: CalendarDate) {
        self.address = address
        self.validFrom = validFrom
        self.validUntil = validUntil
    }
}

extension TemporaryRegistration: JSONReadable, JSONObjectFields {
    /// Reads the fields as the synthesized `init(from:)` does.
    public init(json reader: inout JSONReader) throws(JSONReader.Miss) {
        var address: AddressSnapshot?, validFrom: CalendarDate?, validUntil: CalendarDate?
        try reader.readObject { (r: inout JSONReader, key: JSONKey) throws(JSONReader.Miss) in
            switch key {
            case "address": address = try AddressSnapshot(json: &r)
            case "validFrom": validFrom = try CalendarDate(json: &r)
            case "validUntil": validUntil = try CalendarDate(json: &r)
            default: try r.skipValue()
            }
        }
        guard let address, let validFrom, let validUntil else { throw JSONReader.Miss() }
        self.init(address: address, validFrom: validFrom, validUntil: validUntil)
    }

    /// Writes every field.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("address", address)
        w.field("validFrom", validFrom)
        w.field("validUntil", validUntil)
    }
}
