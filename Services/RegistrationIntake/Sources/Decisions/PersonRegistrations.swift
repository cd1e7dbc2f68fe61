// What intake knows about one person: their active registrations and event sequence.

import RegistrySchema

/// One active registration: where and since when (and, for a temporary one, until when).
public struct ActiveRegistration: Hashable, Sendable, Codable {
    /// The dwelling.
    public var address: AddressSnapshot
    /// The first day it holds.
    public var validFrom: CalendarDate
    /// For a temporary registration, the first day it no longer holds.
    public var validUntil: CalendarDate?

    /// Creates a registration.
    public init(address: AddressSnapshot, validFrom: CalendarDate, validUntil: CalendarDate? = nil) {
        self.address = address
        self.validFrom = validFrom
        self.validUntil = validUntil
    }

    /// Whether a temporary registration has run out by `day` (permanent ones never do).
    public func hasEnded(by day: CalendarDate) -> Bool {
        validUntil.map { $0 <= day } ?? false
    }
}

/// A person's registration state as intake keeps it (docs/architecture.md §4.4, §4.5).
public struct PersonRegistrations: Hashable, Sendable, Codable {
    /// The `sequence` of the last accepted event (0 before the first).
    public var sequence: Int
    /// The permanent registration, if any.
    public var permanent: ActiveRegistration?
    /// The latest temporary registration, if any (it may have run out; see ``currentTemporary(on:)``).
    public var temporary: ActiveRegistration?

    /// A person intake has never accepted anything for.
    public static let unknown = PersonRegistrations(sequence: 0, permanent: nil, temporary: nil)

    /// Creates a state.
    public init(sequence: Int, permanent: ActiveRegistration?, temporary: ActiveRegistration?) {
        self.sequence = sequence
        self.permanent = permanent
        self.temporary = temporary
    }

    /// The state after `accepted`, the person's next accepted event: how a decision changes it,
    /// and how an instance replays decisions another instance made (the accepted topic is the
    /// changelog of this state).
    public func applying(_ accepted: RegistrationAccepted) -> PersonRegistrations {
        var next = self
        next.sequence = accepted.sequence
        switch accepted.kind {
        case .permanent:
            next.permanent = accepted.address.map { ActiveRegistration(address: $0, validFrom: accepted.validFrom) }
        case .temporary:
            next.temporary = accepted.address.map { ActiveRegistration(address: $0, validFrom: accepted.validFrom, validUntil: accepted.validUntil) }
        case .deregistration:
            if accepted.registration == .temporary { next.temporary = nil } else { next.permanent = nil }
        }
        return next
    }

    /// The temporary registration still holding on `day`.
    public func currentTemporary(on day: CalendarDate) -> ActiveRegistration? {
        temporary.flatMap { $0.hasEnded(by: day) ? nil : $0 }
    }
}

extension ActiveRegistration: JSONObjectReadable, JSONObjectFields {
    /// Reads the members; `validUntil` may be absent or `null` (`nil`).
    public init<Fields: JSONFieldReading>(fields r: inout Fields) throws(Fields.Failure) {
        address = try r.field("address")
        validFrom = try r.field("validFrom")
        validUntil = try r.fieldIfPresent("validUntil")
    }

    /// Writes the stored form, `validUntil` only when present.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("address", address)
        w.field("validFrom", validFrom)
        w.fieldIfPresent("validUntil", validUntil)
    }
}

extension PersonRegistrations: JSONObjectReadable, JSONObjectFields {
    /// Reads the members; `permanent` and `temporary` may be absent or `null` (`nil`).
    public init<Fields: JSONFieldReading>(fields r: inout Fields) throws(Fields.Failure) {
        permanent = try r.fieldIfPresent("permanent")
        sequence = try r.field("sequence")
        temporary = try r.fieldIfPresent("temporary")
    }

    /// Writes the stored form, absent registrations omitted.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.fieldIfPresent("permanent", permanent)
        w.field("sequence", sequence)
        w.fieldIfPresent("temporary", temporary)
    }
}
