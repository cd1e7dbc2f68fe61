// kz.registry.registration.accepted.v1: a registration fact, the system of record (docs/architecture.md §4.5).

/// The `data` of `kz.registry.registration.accepted.v1`.
public struct RegistrationAccepted: RegistryEventData, Hashable {
    /// `kz.registry.registration.accepted.v1`.
    public static var eventType: EventType { .registrationAccepted }

    /// The submission this fact came from.
    public var submission: SubmissionReference
    /// Per IIN: starts at 1 and grows by exactly 1 with every accepted event of the person.
    public var sequence: Int
    /// What was registered.
    public var kind: RegistrationKind
    /// Who it is about.
    public var person: PersonDetails
    /// The new address; `nil` for a deregistration.
    public var address: AddressSnapshot?
    /// The address left: the old one of a move, the ended one of a deregistration; else `nil`.
    public var previousAddress: AddressSnapshot?
    /// The first day the registration holds (for a deregistration: the day it takes effect).
    public var validFrom: CalendarDate
    /// The end (exclusive) of a temporary registration; `nil` otherwise.
    public var validUntil: CalendarDate?
    /// For a deregistration: which registration ended.
    public var registration: RegistrationTerm?
    /// For a deregistration: why.
    public var reason: DeregistrationReason?

    /// Creates an accepted registration.
    public init(
        submission: SubmissionReference, sequence: Int, kind: RegistrationKind, person: PersonDetails,
        address: AddressSnapshot?, previousAddress: AddressSnapshot?, validFrom: CalendarDate,
        validUntil: CalendarDate?, registration: RegistrationTerm?, reason: DeregistrationReason?
    ) {
        self.submission = submission
        self.sequence = sequence
        self.kind = kind
        self.person = person
        self.address = address
        self.previousAddress = previousAddress
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.registration = registration
        self.reason = reason
    }

    /// The person's IIN.
    public var eventSubject: String? { person.iin.rawValue }
}

extension RegistrationAccepted: JSONObjectReadable, JSONObjectFields {
    /// Reads the members; `address`, `previousAddress`, `reason`, `registration` and `validUntil`
    /// may be absent or `null` (`nil`).
    public init<Fields: JSONFieldReading>(fields r: inout Fields) throws(Fields.Failure) {
        address = try r.fieldIfPresent("address")
        kind = try r.field("kind")
        person = try r.field("person")
        previousAddress = try r.fieldIfPresent("previousAddress")
        reason = try r.fieldIfPresent("reason")
        registration = try r.fieldIfPresent("registration")
        sequence = try r.field("sequence")
        submission = try r.field("submission")
        validFrom = try r.field("validFrom")
        validUntil = try r.fieldIfPresent("validUntil")
    }

    /// Writes every field, absent ones as `null`.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("address", address)
        w.field("kind", kind)
        w.field("person", person)
        w.field("previousAddress", previousAddress)
        w.field("reason", reason)
        w.field("registration", registration)
        w.field("sequence", sequence)
        w.field("submission", submission)
        w.field("validFrom", validFrom)
        w.field("validUntil", validUntil)
    }
}
