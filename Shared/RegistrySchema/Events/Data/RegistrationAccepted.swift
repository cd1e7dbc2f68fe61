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

    private enum CodingKeys: String, CodingKey {
        case submission, sequence, kind, person, address, previousAddress, validFrom, validUntil, registration, reason
    }

    /// Decodes the fields; absent and `null` optional fields are both `nil`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        submission = try container.decode(SubmissionReference.self, forKey: .submission)
        sequence = try container.decodeInteger(Int.self, forKey: .sequence)
        kind = try container.decode(RegistrationKind.self, forKey: .kind)
        person = try container.decode(PersonDetails.self, forKey: .person)
        address = try container.decodeIfPresent(AddressSnapshot.self, forKey: .address)
        previousAddress = try container.decodeIfPresent(AddressSnapshot.self, forKey: .previousAddress)
        validFrom = try container.decode(CalendarDate.self, forKey: .validFrom)
        validUntil = try container.decodeIfPresent(CalendarDate.self, forKey: .validUntil)
        registration = try container.decodeIfPresent(RegistrationTerm.self, forKey: .registration)
        reason = try container.decodeIfPresent(DeregistrationReason.self, forKey: .reason)
    }
}

extension RegistrationAccepted: JSONReadable, JSONObjectFields {
    /// Reads the fields as ``init(from:)`` does.
    public init(json reader: inout JSONReader) throws(JSONReader.Miss) {
        var submission: SubmissionReference?, sequence: Int?, kind: RegistrationKind?, person: PersonDetails?
        var address: AddressSnapshot?, previousAddress: AddressSnapshot?, validFrom: CalendarDate?, validUntil: CalendarDate?
        var registration: RegistrationTerm?, reason: DeregistrationReason?
        try reader.readObject { (r: inout JSONReader, key: JSONKey) throws(JSONReader.Miss) in
            switch key {
            case "submission": submission = try SubmissionReference(json: &r)
            case "sequence": sequence = try r.readInt()
            case "kind": kind = try RegistrationKind(json: &r)
            case "person": person = try PersonDetails(json: &r)
            case "address": address = try r.readIfPresent(AddressSnapshot.self)
            case "previousAddress": previousAddress = try r.readIfPresent(AddressSnapshot.self)
            case "validFrom": validFrom = try CalendarDate(json: &r)
            case "validUntil": validUntil = try r.readIfPresent(CalendarDate.self)
            case "registration": registration = try r.readIfPresent(RegistrationTerm.self)
            case "reason": reason = try r.readIfPresent(DeregistrationReason.self)
            default: try r.skipValue()
            }
        }
        guard let submission, let sequence, let kind, let person, let validFrom else { throw JSONReader.Miss() }
        self.init(
            submission: submission, sequence: sequence, kind: kind, person: person, address: address, previousAddress: previousAddress,
            validFrom: validFrom, validUntil: validUntil, registration: registration, reason: reason)
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
