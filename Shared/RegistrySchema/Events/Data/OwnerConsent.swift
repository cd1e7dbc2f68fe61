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

extension OwnerConsent: JSONReadable, JSONObjectFields {
    /// Reads the fields as the synthesized `init(from:)` does.
    public init(json reader: inout JSONReader) throws(JSONReader.Miss) {
        var ownerIin: IIN?, givenAt: Timestamp?
        try reader.readObject { (r: inout JSONReader, key: JSONKey) throws(JSONReader.Miss) in
            switch key {
            case "ownerIin": ownerIin = try IIN(json: &r)
            case "givenAt": givenAt = try Timestamp(json: &r)
            default: try r.skipValue()
            }
        }
        guard let ownerIin, let givenAt else { throw JSONReader.Miss() }
        self.init(ownerIin: ownerIin, givenAt: givenAt)
    }

    /// Writes both fields.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("givenAt", givenAt)
        w.field("ownerIin", ownerIin)
    }
}
