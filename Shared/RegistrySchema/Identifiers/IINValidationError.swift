// Why a string is not a valid IIN (docs/architecture.md §4.1).

/// The precise reason a string fails the IIN rules of docs/architecture.md §4.1, checked in this order.
public enum IINValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not 12 characters long (the count of characters found).
    case wrongLength(Int)
    /// A character other than an ASCII digit.
    case notDigits
    /// Digit 7 (century and sex) is not 0-6 (the digit found).
    case invalidCenturyDigit(Int)
    /// Digits 1-6 with the century of digit 7 are not a real day (the `YYYY-MM-DD` read).
    case impossibleBirthDate(String)
    /// Both weight rounds of the check-digit computation give 10: no number with these first
    /// 11 digits is valid.
    case checkDigitUndefined
    /// Digit 12 is not the computed check digit.
    case checkDigitMismatch(expected: Int, found: Int)

    /// A short reason, prefixed `invalid IIN:` (never the whole number, which is personal data).
    public var description: String {
        switch self {
        case .wrongLength(let count): "invalid IIN: must be 12 digits, found \(count) characters"
        case .notDigits: "invalid IIN: must contain only digits"
        case .invalidCenturyDigit(let digit): "invalid IIN: century digit (digit 7) must be 0-6, found \(digit)"
        case .impossibleBirthDate(let date): "invalid IIN: birth date \(date) does not exist"
        case .checkDigitUndefined: "invalid IIN: check digit (both weight rounds give 10)"
        case .checkDigitMismatch(let expected, let found): "invalid IIN: check digit (expected \(expected), found \(found))"
        }
    }
}
