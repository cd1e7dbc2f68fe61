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
}

extension RegistrationSubmitted: JSONObjectReadable, JSONObjectFields {
    /// Reads every field, in the contract's order; absent and `null` optional ones are both
    /// `nil`. A `permanent` or `temporary` submission without `rca` fails ("missing required
    /// field" at `rca`).
    public init<Fields: JSONFieldReading>(fields r: inout Fields) throws(Fields.Failure) {
        kind = try r.field("kind")
        person = try r.field("person")
        rca = if kind == .deregistration { try r.fieldIfPresent("rca") } else { try r.field("rca", as: RCA.self) }
        validFrom = try r.field("validFrom")
        validUntil = try r.fieldIfPresent("validUntil")
        ownerConsent = try r.fieldIfPresent("ownerConsent")
        registration = try r.fieldIfPresent("registration")
        reason = try r.fieldIfPresent("reason")
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
