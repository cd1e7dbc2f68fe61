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

    private enum CodingKeys: String, CodingKey {
        case iin, permanent, temporary, sequence
    }

    /// Decodes the fields; absent and `null` registrations are both `nil`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        iin = try container.decode(IIN.self, forKey: .iin)
        permanent = try container.decodeIfPresent(PermanentRegistration.self, forKey: .permanent)
        temporary = try container.decodeIfPresent(TemporaryRegistration.self, forKey: .temporary)
        sequence = try container.decodeInteger(Int.self, forKey: .sequence)
    }
}

extension AddressCurrent: JSONReadable, JSONObjectFields {
    /// Reads the fields as ``init(from:)`` does.
    public init(json reader: inout JSONReader) throws(JSONReader.Miss) {
        var iin: IIN?, permanent: PermanentRegistration?, temporary: TemporaryRegistration?, sequence: Int?
        try reader.readObject { (r: inout JSONReader, key: JSONKey) throws(JSONReader.Miss) in
            switch key {
            case "iin": iin = try IIN(json: &r)
            case "permanent": permanent = try r.readIfPresent(PermanentRegistration.self)
            case "temporary": temporary = try r.readIfPresent(TemporaryRegistration.self)
            case "sequence": sequence = try r.readInt()
            default: try r.skipValue()
            }
        }
        guard let iin, let sequence else { throw JSONReader.Miss() }
        self.init(iin: iin, permanent: permanent, temporary: temporary, sequence: sequence)
    }

    /// Writes every field, absent ones as `null`.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("iin", iin)
        w.field("permanent", permanent)
        w.field("sequence", sequence)
        w.field("temporary", temporary)
    }
}
