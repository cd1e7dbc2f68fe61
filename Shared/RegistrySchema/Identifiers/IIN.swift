// IIN: the individual identification number (docs/architecture.md §4.1).

/// A valid individual identification number: 12 digits, a possible birth date in digits 1-6
/// (when digit 7 encodes the century) and a correct check digit (docs/architecture.md §4.1).
///
/// A value of this type always holds a valid number. Its `Codable` form is the plain 12-digit
/// string; decoding an invalid one throws `DecodingError.dataCorrupted` at the field's path with
/// an ``IINValidationError`` as the underlying error.
///
/// `description` is the ``masked`` form, so an IIN interpolated into a log line does not leak;
/// use ``rawValue`` for the number itself.
public struct IIN: RawRepresentable, Hashable, Comparable, Sendable, TextCodable, CustomStringConvertible {
    /// The 12 digits.
    public let rawValue: String

    /// The sex digit 7 encodes.
    public enum Sex: String, Sendable, Hashable {
        /// Odd century digits: 1, 3, 5.
        case male
        /// Even century digits: 2, 4, 6.
        case female
    }

    /// Creates an IIN from a valid number.
    /// - Throws: the ``IINValidationError`` naming the first rule the number breaks.
    public init(validating candidate: String) throws(IINValidationError) {
        if let failure = IIN.validate(candidate) { throw failure }
        rawValue = candidate
    }

    /// Creates an IIN if `rawValue` is a valid number.
    public init?(rawValue: String) {
        guard IIN.validate(rawValue) == nil else { return nil }
        self.rawValue = rawValue
    }

    /// Checks a candidate against docs/architecture.md §4.1.
    /// - Returns: `nil` when it is a valid IIN, otherwise the first rule it breaks.
    public static func validate(_ candidate: String) -> IINValidationError? {
        // One pass, no allocation: this runs for every IIN on every service's hot path.
        var index = 0
        var allDigits = true
        var birthDigits = 0  // digits 1-6 as the number YYMMDD
        var centuryDigit = 0
        var checkDigit = 0
        var firstRound = 0  // Σ i·dᵢ
        var secondRound = 0  // Σ wᵢ·dᵢ, w = 3, 4, …, 11, 1, 2
        for byte in candidate.utf8 {
            guard index < 12 else {
                index += 1  // too long: no need to read further
                break
            }
            defer { index += 1 }
            guard byte >= 0x30, byte <= 0x39 else {
                allDigits = false
                continue
            }
            let digit = Int(byte - 0x30)
            switch index {
            case 0..<6: birthDigits = birthDigits * 10 + digit
            case 6: centuryDigit = digit
            case 11: checkDigit = digit
            default: break
            }
            if index < 11 {
                firstRound += (index + 1) * digit
                secondRound += (index < 9 ? index + 3 : index - 8) * digit
            }
        }
        guard index == 12 else {
            let characters = candidate.count
            return characters == 12 ? .notDigits : .wrongLength(characters)
        }
        guard allDigits else { return .notDigits }
        guard centuryDigit <= 6 else { return .invalidCenturyDigit(centuryDigit) }
        if let century = century(forDigit: centuryDigit) {
            let year = century + birthDigits / 10_000
            let month = birthDigits / 100 % 100
            let day = birthDigits % 100
            if CalendarDate(year: year, month: month, day: day) == nil {
                return .impossibleBirthDate("\(year)-\(twoDigits(month))-\(twoDigits(day))")
            }
        }
        let expected = firstRound % 11 != 10 ? firstRound % 11 : secondRound % 11
        guard expected != 10 else { return .checkDigitUndefined }
        guard expected == checkDigit else { return .checkDigitMismatch(expected: expected, found: checkDigit) }
        return nil
    }

    private static func century(forDigit digit: Int) -> Int? {
        switch digit {
        case 1, 2: 1800
        case 3, 4: 1900
        case 5, 6: 2000
        default: nil
        }
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }

    private var centuryDigit: Int {
        Int(rawValue.utf8[rawValue.utf8.index(rawValue.utf8.startIndex, offsetBy: 6)] - 0x30)
    }

    /// The birth date digits 1-7 encode, or `nil` when digit 7 is 0 (century not encoded).
    ///
    /// Intake compares it with the submitted `birthDate` (`IIN_BIRTHDATE_MISMATCH`).
    public var birthDate: CalendarDate? {
        guard let century = IIN.century(forDigit: centuryDigit) else { return nil }
        var scanner = ASCIIScanner(rawValue)
        guard let yy = scanner.digits(2), let month = scanner.digits(2), let day = scanner.digits(2) else { return nil }
        return CalendarDate(year: century + yy, month: month, day: day)
    }

    /// The sex digit 7 encodes (odd male, even female), or `nil` when it is 0.
    public var sex: Sex? {
        let digit = centuryDigit
        guard digit != 0 else { return nil }
        return digit % 2 == 1 ? .male : .female
    }

    /// The form for logs: the first 6 and last 2 digits around `****`, e.g. `860101****26`.
    public var masked: String {
        IIN.mask(rawValue)
    }

    /// Masks any string the way ``masked`` masks an IIN (first 6 + `****` + last 2); strings
    /// shorter than 8 characters become `****` entirely. For logging values that may be invalid.
    public static func mask(_ text: String) -> String {
        guard text.count >= 8 else { return "****" }
        return "\(text.prefix(6))****\(text.suffix(2))"
    }

    /// The ``masked`` form.
    public var description: String { masked }

    /// Orders IINs by their digits.
    public static func < (lhs: IIN, rhs: IIN) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

extension IIN: JSONReadable, JSONWritable {}
