// A person's registration on a date: the body of the registration route and certificates.

import Hummingbird
import RegistrySchema

/// `{"iin","asOf","permanent":{"address","validFrom"}|null,"temporary":{"address","validFrom","validUntil"}|null}` (DESIGN §5.2).
public struct RegistrationView: Hashable, Sendable, Codable, ResponseEncodable {
    public var iin: IIN
    public var asOf: CalendarDate
    public var permanent: PermanentRegistration?
    public var temporary: TemporaryRegistration?

    /// Creates a view.
    public init(iin: IIN, asOf: CalendarDate, permanent: PermanentRegistration?, temporary: TemporaryRegistration?) {
        self.iin = iin
        self.asOf = asOf
        self.permanent = permanent
        self.temporary = temporary
    }

    private enum CodingKeys: String, CodingKey { case iin, asOf, permanent, temporary }

    /// Encodes absent registrations as `null`, as DESIGN shows them.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(iin, forKey: .iin)
        try container.encode(asOf, forKey: .asOf)
        try container.encode(permanent, forKey: .permanent)
        try container.encode(temporary, forKey: .temporary)
    }

    /// Whether `other` says the same about where the person is registered (dates of the view aside).
    func sameRegistration(as other: RegistrationView) -> Bool {
        iin == other.iin && permanent == other.permanent && temporary == other.temporary
    }
}

extension IndexStore {
    /// The person's registration on `day`, or `nil` if the index never had one for them.
    func registration(_ iin: IIN, on day: CalendarDate) throws -> RegistrationView? {
        guard try person(iin) != nil else { return nil }
        let permanent = try period(iin, kind: .permanent, on: day)
        let temporary = try period(iin, kind: .temporary, on: day)
        return RegistrationView(
            iin: iin, asOf: day, permanent: permanent.map { PermanentRegistration(address: $0.address, validFrom: $0.validFrom) },
            temporary: temporary.flatMap { period in period.validTo.map { TemporaryRegistration(address: period.address, validFrom: period.validFrom, validUntil: $0) } })
    }
}
