// A person's current permanent registration (DESIGN §4.8, §5.2).

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
