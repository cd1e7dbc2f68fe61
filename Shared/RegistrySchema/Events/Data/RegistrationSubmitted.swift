// kz.registry.registration.submitted.v1: what upstream systems ask for (docs/architecture.md §4.3).

/// The `data` of `kz.registry.registration.submitted.v1`.
///
/// Decoding checks structure only: field types, enum values, identifiers, dates, and that
/// `rca` is present for `permanent` and `temporary`. The period rules (`validUntil` missing for
/// `temporary` or present for `permanent`, …) are intake's `INVALID_PERIOD`, not decoding errors.
public struct RegistrationSubmitted: RegistryEventData, Hashable {
    /// `kz.registry.registration.submitted.v1`.
    public static var eventType: EventType { .registrationSubmitted }

    /// What is asked for.
    public var kind: RegistrationKind
    /// Who it is about.
    public var person: PersonDetails
    /// The dwelling; required for `permanent` and `temporary`, `nil` for a deregistration.
    public var rca: RCA?
    /// The first day the registration holds (for a deregistration: the day it takes effect).
    public var validFrom: CalendarDate
    /// The first day a temporary registration no longer holds (exclusive); `nil` otherwise.
    public var validUntil: CalendarDate?
    /// An owner's consent, when the person is not an owner of the dwelling.
    public var ownerConsent: OwnerConsent?
    /// For a deregistration: which registration ends (`nil` means `permanent`).
    public var registration: RegistrationTerm?
    /// For a deregistration: why.
    public var reason: DeregistrationReason?

    /// Creates a submission.
    public init(
        kind: RegistrationKind, person: PersonDetails, rca: RCA?, validFrom: CalendarDate,
        validUntil: CalendarDate? = nil, ownerConsent: OwnerConsent? = nil,
        registration: RegistrationTerm? = nil, reason: DeregistrationReason? = nil
    ) {
        self.kind = kind
        self.person = person
        self.rca = rca
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.ownerConsent = ownerConsent
        self.registration = registration
        self.reason = reason
    }

    /// For a deregistration, the registration it ends (`registration`, defaulting to
    /// `permanent`); `nil` for other kinds.
    public var endedRegistration: RegistrationTerm? {
        kind == .deregistration ? registration ?? .permanent : nil
    }

    /// The person's IIN.
    public var eventSubject: String? { person.iin.rawValue }

    private enum CodingKeys: String, CodingKey {
        case kind, person, rca, validFrom, validUntil, ownerConsent, registration, reason
    }

    /// Decodes the fields; absent and `null` optional fields are both `nil`. A `permanent` or
    /// `temporary` submission without `rca` throws "missing required field" at `rca`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(RegistrationKind.self, forKey: .kind)
        person = try container.decode(PersonDetails.self, forKey: .person)
        if kind == .deregistration {
            rca = try container.decodeIfPresent(RCA.self, forKey: .rca)
        } else {
            rca = try container.decode(RCA.self, forKey: .rca)
        }
        validFrom = try container.decode(CalendarDate.self, forKey: .validFrom)
        validUntil = try container.decodeIfPresent(CalendarDate.self, forKey: .validUntil)
        ownerConsent = try container.decodeIfPresent(OwnerConsent.self, forKey: .ownerConsent)
        registration = try container.decodeIfPresent(RegistrationTerm.self, forKey: .registration)
        reason = try container.decodeIfPresent(DeregistrationReason.self, forKey: .reason)
    }
}

extension RegistrationSubmitted: JSONReadable, JSONObjectFields {
    /// Reads the fields as ``init(from:)`` does (`rca` required unless a deregistration).
    public init(json reader: inout JSONReader) throws(JSONReader.Miss) {
        var kind: RegistrationKind?, person: PersonDetails?, rca: RCA?, validFrom: CalendarDate?, validUntil: CalendarDate?
        var ownerConsent: OwnerConsent?, registration: RegistrationTerm?, reason: DeregistrationReason?
        try reader.readObject { (r: inout JSONReader, key: JSONKey) throws(JSONReader.Miss) in
            switch key {
            case "kind": kind = try RegistrationKind(json: &r)
            case "person": person = try PersonDetails(json: &r)
            case "rca": rca = try r.readIfPresent(RCA.self)
            case "validFrom": validFrom = try CalendarDate(json: &r)
            case "validUntil": validUntil = try r.readIfPresent(CalendarDate.self)
            case "ownerConsent": ownerConsent = try r.readIfPresent(OwnerConsent.self)
            case "registration": registration = try r.readIfPresent(RegistrationTerm.self)
            case "reason": reason = try r.readIfPresent(DeregistrationReason.self)
            default: try r.skipValue()
            }
        }
        guard let kind, let person, let validFrom, rca != nil || kind == .deregistration else { throw JSONReader.Miss() }
        self.init(
            kind: kind, person: person, rca: rca, validFrom: validFrom, validUntil: validUntil, ownerConsent: ownerConsent,
            registration: registration, reason: reason)
    }

    /// Writes every field, absent ones as `null`.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("kind", kind)
        w.field("ownerConsent", ownerConsent)
        w.field("person", person)
        w.field("rca", rca)
        w.field("reason", reason)
        w.field("registration", registration)
        w.field("validFrom", validFrom)
        w.field("validUntil", validUntil)
    }
}
