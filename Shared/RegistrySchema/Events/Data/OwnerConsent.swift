// The `ownerConsent` object of a submission (DESIGN §4.3).

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
