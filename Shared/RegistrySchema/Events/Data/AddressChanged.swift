// kz.registry.address.changed.v1: the agencies' contract (docs/architecture.md §4.7).

/// The `data` of `kz.registry.address.changed.v1`: a person's registered address changed.
/// It carries no names (data minimisation): agencies hold the IIN already.
public struct AddressChanged: RegistryEventData, Hashable {
    /// `kz.registry.address.changed.v1`.
    public static var eventType: EventType { .addressChanged }

    /// Whose address changed.
    public var iin: IIN
    /// How it changed.
    public var change: AddressChangeKind
    /// The address registered from now on; `nil` when none (a deregistration).
    public var address: AddressSnapshot?
    /// The address left; `nil` for a first registration.
    public var previousAddress: AddressSnapshot?
    /// The day the change takes effect.
    public var effectiveFrom: CalendarDate
    /// The person's accepted-event sequence this change reflects.
    public var sequence: Int
    /// The CloudEvent `id` of the accepted event that caused it; `nil` for `temporary-ended`.
    public var cause: String?

    /// Creates a change.
    public init(
        iin: IIN, change: AddressChangeKind, address: AddressSnapshot?, previousAddress: AddressSnapshot?,
        effectiveFrom: CalendarDate, sequence: Int, cause: String?
    ) {
        self.iin = iin
        self.change = change
        self.address = address
        self.previousAddress = previousAddress
        self.effectiveFrom = effectiveFrom
        self.sequence = sequence
        self.cause = cause
    }

    /// The person's IIN.
    public var eventSubject: String? { iin.rawValue }
}

extension AddressChanged: JSONObjectReadable, JSONObjectFields {
    /// Reads the members; `address`, `cause` and `previousAddress` may be absent or `null` (`nil`).
    public init<Fields: JSONFieldReading>(fields r: inout Fields) throws(Fields.Failure) {
        address = try r.fieldIfPresent("address")
        cause = try r.fieldIfPresent("cause")
        change = try r.field("change")
        effectiveFrom = try r.field("effectiveFrom")
        iin = try r.field("iin")
        previousAddress = try r.fieldIfPresent("previousAddress")
        sequence = try r.field("sequence")
    }

    /// Writes every field, absent ones as `null`.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("address", address)
        w.field("cause", cause)
        w.field("change", change)
        w.field("effectiveFrom", effectiveFrom)
        w.field("iin", iin)
        w.field("previousAddress", previousAddress)
        w.field("sequence", sequence)
    }
}
