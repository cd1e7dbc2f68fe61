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

extension PermanentRegistration: JSONObjectReadable, JSONObjectFields {
    /// Reads the members; every one is required.
    public init<Fields: JSONFieldReading>(fields r: inout Fields) throws(Fields.Failure) {
        address = try r.field("address")
        validFrom = try r.field("validFrom")
    }

    /// Writes both fields.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("address", address)
        w.field("validFrom", validFrom)
    }
}
