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

extension TemporaryRegistration: JSONObjectReadable, JSONObjectFields {
    /// Reads the members; every one is required.
    public init<Fields: JSONFieldReading>(fields r: inout Fields) throws(Fields.Failure) {
        address = try r.field("address")
        validFrom = try r.field("validFrom")
        validUntil = try r.field("validUntil")
    }

    /// Writes every field.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("address", address)
        w.field("validFrom", validFrom)
        w.field("validUntil", validUntil)
    }
}
