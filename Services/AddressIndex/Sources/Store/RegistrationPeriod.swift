// One period of a person's registration history.

import RegistrySchema

/// A span during which a person was (or will be) registered at a dwelling.
public struct RegistrationPeriod: Hashable, Sendable, Codable {
    /// `permanent` or `temporary`.
    public var kind: RegistrationTerm
    /// Where.
    public var address: AddressSnapshot
    /// The first day.
    public var validFrom: CalendarDate
    /// The first day it no longer holds; `nil` while open.
    public var validTo: CalendarDate?
    /// The `sequence` of the accepted event that began it.
    public var sequence: Int

    /// Whether it holds on `day`.
    public func holds(on day: CalendarDate) -> Bool {
        validFrom <= day && validTo.map { day < $0 } ?? true
    }
}
