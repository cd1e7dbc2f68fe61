// The `ownerConsent` object of a submission (docs/architecture.md §4.3).

/// An owner's consent to a registration at their property.
public struct OwnerConsent: Hashable, Sendable, Codable {
    /// The consenting owner's IIN (must be one of the catalog's `owners`).
    public var ownerIin: IIN
    /// When consent was given (must not be after the event `time`).
    public var givenAt: Timestamp

    /// Creates a consent.
    public init(ownerIin: IIN, givenAt: Timestamp) {
        self.ownerIin = ownerIin
        self.givenAt = givenAt
    }
}

extension OwnerConsent: JSONObjectReadable, JSONObjectFields {
    /// Reads the members, in the contract's order; every one is required.
    public init<Fields: JSONFieldReading>(fields r: inout Fields) throws(Fields.Failure) {
        ownerIin = try r.field("ownerIin")
        givenAt = try r.field("givenAt")
    }

    /// Writes both fields.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("givenAt", givenAt)
        w.field("ownerIin", ownerIin)
    }
}
