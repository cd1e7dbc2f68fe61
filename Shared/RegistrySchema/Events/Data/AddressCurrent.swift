// kz.registry.address.current.v1: a person's current registrations, compacted by IIN (docs/architecture.md §4.8).

/// The `data` of `kz.registry.address.current.v1`. When a person has neither registration the
/// topic carries a tombstone (a null message value) instead of an event with both `nil`.
public struct AddressCurrent: RegistryEventData, Hashable {
    /// `kz.registry.address.current.v1`.
    public static var eventType: EventType { .addressCurrent }

    /// Whose registrations these are.
    public var iin: IIN
    /// The permanent registration, or `nil` (encoded as `null`).
    public var permanent: PermanentRegistration?
    /// The temporary registration, or `nil` (encoded as `null`).
    public var temporary: TemporaryRegistration?
    /// The person's accepted-event sequence this state reflects.
    public var sequence: Int

    /// Creates a current-state record.
    public init(iin: IIN, permanent: PermanentRegistration?, temporary: TemporaryRegistration?, sequence: Int) {
        self.iin = iin
        self.permanent = permanent
        self.temporary = temporary
        self.sequence = sequence
    }

    /// Whether the topic should carry a tombstone instead: the person has no registration.
    public var isTombstone: Bool { permanent == nil && temporary == nil }

    /// The person's IIN.
    public var eventSubject: String? { iin.rawValue }
}

extension AddressCurrent: JSONObjectReadable, JSONObjectFields {
    /// Reads the members; `permanent` and `temporary` may be absent or `null` (`nil`).
    public init<Fields: JSONFieldReading>(fields r: inout Fields) throws(Fields.Failure) {
        iin = try r.field("iin")
        permanent = try r.fieldIfPresent("permanent")
        sequence = try r.field("sequence")
        temporary = try r.fieldIfPresent("temporary")
    }

    /// Writes every field, absent ones as `null`.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("iin", iin)
        w.field("permanent", permanent)
        w.field("sequence", sequence)
        w.field("temporary", temporary)
    }
}
