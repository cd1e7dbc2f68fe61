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
}

extension PersonDetails: JSONObjectReadable, JSONObjectFields {
    /// Reads the members, in the contract's order; `patronymic` may be absent or `null` (`nil`).
    public init<Fields: JSONFieldReading>(fields r: inout Fields) throws(Fields.Failure) {
        iin = try r.field("iin")
        surname = try r.field("surname")
        givenName = try r.field("givenName")
        patronymic = try r.fieldIfPresent("patronymic")
        birthDate = try r.field("birthDate")
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
