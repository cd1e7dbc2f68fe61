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

    private enum CodingKeys: String, CodingKey {
        case iin, change, address, previousAddress, effectiveFrom, sequence, cause
    }

    /// Decodes the fields; absent and `null` optional fields are both `nil`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        iin = try container.decode(IIN.self, forKey: .iin)
        change = try container.decode(AddressChangeKind.self, forKey: .change)
        address = try container.decodeIfPresent(AddressSnapshot.self, forKey: .address)
        previousAddress = try container.decodeIfPresent(AddressSnapshot.self, forKey: .previousAddress)
        effectiveFrom = try container.decode(CalendarDate.self, forKey: .effectiveFrom)
        sequence = try container.decodeInteger(Int.self, forKey: .sequence)
        cause = try container.decodeIfPresent(String.self, forKey: .cause)
    }
}

extension AddressChanged: JSONReadable, JSONObjectFields {
    /// Reads the fields as ``init(from:)`` does.
    public init(json reader: inout JSONReader) throws(JSONReader.Miss) {
        var iin: IIN?, change: AddressChangeKind?, address: AddressSnapshot?, previousAddress: AddressSnapshot?
        var effectiveFrom: CalendarDate?, sequence: Int?, cause: String?
        try reader.readObject { (r: inout JSONReader, key: JSONKey) throws(JSONReader.Miss) in
            switch key {
            case "iin": iin = try IIN(json: &r)
            case "change": change = try AddressChangeKind(json: &r)
            case "address": address = try r.readIfPresent(AddressSnapshot.self)
            case "previousAddress": previousAddress = try r.readIfPresent(AddressSnapshot.self)
            case "effectiveFrom": effectiveFrom = try CalendarDate(json: &r)
            case "sequence": sequence = try r.readInt()
            case "cause": cause = try r.readStringIfPresent()
            default: try r.skipValue()
            }
        }
        guard let iin, let change, let effectiveFrom, let sequence else { throw JSONReader.Miss() }
        self.init(iin: iin, change: change, address: address, previousAddress: previousAddress, effectiveFrom: effectiveFrom, sequence: sequence, cause: cause)
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
