// The `person` object of submissions and accepted registrations (docs/architecture.md §4.3).

/// Who a registration is about, as the upstream system identified them.
public struct PersonDetails: Hashable, Sendable, Codable {
    /// The person's IIN.
    public var iin: IIN
    /// The surname.
    public var surname: String
    /// The given name.
    public var givenName: String
    /// The patronymic, when the person has one (encoded as `null` otherwise).
    public var patronymic: String?
    /// The date of birth (intake checks it against the IIN: `IIN_BIRTHDATE_MISMATCH`).
    public var birthDate: CalendarDate

    /// Creates a person.
    public init(iin: IIN, surname: String, givenName: String, patronymic: String?, birthDate: CalendarDate) {
        self.iin = iin
        self.surname = surname
        self.givenName = givenName
        self.patronymic = patronymic
        self.birthDate = birthDate
    }

    private enum CodingKeys: String, CodingKey {
        case iin, surname, givenName, patronymic, birthDate
    }
}

extension PersonDetails: JSONReadable, JSONObjectFields {
    /// Reads the fields as the synthesized `init(from:)` does.
    public init(json reader: inout JSONReader) throws(JSONReader.Miss) {
        var iin: IIN?, surname: String?, givenName: String?, patronymic: String?, birthDate: CalendarDate?
        try reader.readObject { (r: inout JSONReader, key: JSONKey) throws(JSONReader.Miss) in
            switch key {
            case "iin": iin = try IIN(json: &r)
            case "surname": surname = try r.readString()
            case "givenName": givenName = try r.readString()
            case "patronymic": patronymic = try r.readStringIfPresent()
            case "birthDate": birthDate = try CalendarDate(json: &r)
            default: try r.skipValue()
            }
        }
        guard let iin, let surname, let givenName, let birthDate else { throw JSONReader.Miss() }
        self.init(iin: iin, surname: surname, givenName: givenName, patronymic: patronymic, birthDate: birthDate)
    }

    /// Writes every field, `patronymic` as `null` when absent.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("birthDate", birthDate)
        w.field("givenName", givenName)
        w.field("iin", iin)
        w.field("patronymic", patronymic)
        w.field("surname", surname)
    }
}
