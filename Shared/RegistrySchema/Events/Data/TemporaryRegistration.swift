// A person's current temporary registration (DESIGN §4.8, §5.2).

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
