// Making valid IINs, for demo data and tests.

extension IIN {
    /// The valid IIN for a birth date, sex and serial number (digits 8-11), with digit 7 giving
    /// the century and sex and digit 12 the check digit of docs/architecture.md §4.1.
    /// - Parameters:
    ///   - birthDate: In 1800-2099.
    ///   - sex: Which digit 7 to use.
    ///   - serial: 0...9999.
    /// - Returns: `nil` when the date is outside 1800-2099, the serial is out of range, or the
    ///   number has no check digit (both rounds give 10; about 1 in 121 serials).
    public static func issue(birthDate: CalendarDate, sex: Sex, serial: Int) -> IIN? {
        guard (1800...2099).contains(birthDate.year), (0...9999).contains(serial) else { return nil }
        let centuryDigit = (birthDate.year - 1800) / 100 * 2 + (sex == .male ? 1 : 2)
        let digits = [
            birthDate.year % 100 / 10, birthDate.year % 10, birthDate.month / 10, birthDate.month % 10,
            birthDate.day / 10, birthDate.day % 10, centuryDigit,
            serial / 1000, serial / 100 % 10, serial / 10 % 10, serial % 10,
        ]
        var check = zip(1...11, digits).reduce(0) { $0 + $1.0 * $1.1 } % 11
        if check == 10 {
            let weights = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]
            check = zip(weights, digits).reduce(0) { $0 + $1.0 * $1.1 } % 11
            if check == 10 { return nil }
        }
        return IIN(rawValue: (digits + [check]).map(String.init).joined())
    }
}
