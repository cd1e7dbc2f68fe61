// CalendarDate: a `YYYY-MM-DD` day, as the wire carries `validFrom`, `birthDate` and friends.

import Foundation

/// A day of the Gregorian calendar, without time or time zone (docs/architecture.md §4: dates are `YYYY-MM-DD`).
///
/// It stores the year, month and day as integers and never converts through a time zone, so a
/// date read from the wire is the date written back. The wire's years are 0001-9999; arithmetic
/// is exact (proleptic Gregorian). Its `Codable` form is the plain string `"2026-11-24"`.
public struct CalendarDate: Hashable, Comparable, Sendable, TextCodable, TimeText, CustomStringConvertible, LosslessStringConvertible {
    public static let textName = "date"

    /// The year (1-9999 for every date read from text).
    public let year: Int
    /// The month, 1-12.
    public let month: Int
    /// The day of the month, 1-31.
    public let day: Int

    /// Why a string is not a `YYYY-MM-DD` date (`"invalid date '2026-13-01'"`).
    public typealias ParseError = TimeParseError<CalendarDate>

    /// Creates a date if the year (1-9999), month and day form a real day.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
              day >= 1, day <= CivilCalendar.daysInMonth(month, year: year) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD` exactly (four-digit year, two-digit month and day, a real day).
    /// - Parameter text: the date, e.g. `"2024-02-29"`.
    /// - Throws: ``ParseError`` for any other text, e.g. `"2023-02-29"` or `"2026-13-01"`.
    public init(validating text: String) throws(ParseError) {
        var scanner = ASCIIScanner(text)
        guard let year = scanner.digits(4), scanner.consume(UInt8(ascii: "-")),
              let month = scanner.digits(2), scanner.consume(UInt8(ascii: "-")),
              let day = scanner.digits(2), scanner.isAtEnd,
              let date = CalendarDate(year: year, month: month, day: day)
        else { throw ParseError(text: text) }
        self = date
    }

    /// Parses `YYYY-MM-DD`, or returns `nil`.
    public init?(_ description: String) {
        guard let date = try? CalendarDate(validating: description) else { return nil }
        self = date
    }

    /// The day `daysSinceEpoch` days after 1970-01-01 (before it when negative).
    public init(daysSinceEpoch: Int) {
        (year, month, day) = CivilCalendar.civilDate(daysSinceEpoch: daysSinceEpoch)
    }

    /// The UTC day of an instant.
    public init(utc date: Date) {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        self.init(daysSinceEpoch: Int((seconds / 86_400).rounded(.down)))
    }

    /// Days from 1970-01-01 to this date (negative before it).
    public var daysSinceEpoch: Int {
        CivilCalendar.daysSinceEpoch(year: year, month: month, day: day)
    }

    /// The date `days` days later (earlier when negative).
    public func adding(days: Int) -> CalendarDate {
        CalendarDate(daysSinceEpoch: daysSinceEpoch + days)
    }

    /// The number of days from `other` to this date: positive when this date is later.
    ///
    /// `CalendarDate("2026-03-01")!.days(since: CalendarDate("2026-02-27")!) == 2`.
    public func days(since other: CalendarDate) -> Int {
        daysSinceEpoch - other.daysSinceEpoch
    }

    /// Midnight UTC at the start of this day.
    public var startOfDayUTC: Timestamp {
        Timestamp(secondsSince1970: Int64(daysSinceEpoch) * 86_400)
    }

    /// Whether `year` has a 29 February.
    public static func isLeapYear(_ year: Int) -> Bool {
        CivilCalendar.isLeapYear(year)
    }

    /// Orders dates chronologically.
    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// The `YYYY-MM-DD` form.
    public var description: String {
        guard (1...9999).contains(year) else {
            // Only reachable by arithmetic past the wire's range; keep the digits honest.
            let pad = { (value: Int, width: Int) in String(repeating: "0", count: max(0, width - String(value).count)) + String(value) }
            return "\(year < 0 ? "-" : "")\(pad(abs(year), 4))-\(pad(month, 2))-\(pad(day, 2))"
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(10)
        CivilCalendar.appendDigits(year, width: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        CivilCalendar.appendDigits(month, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        CivilCalendar.appendDigits(day, width: 2, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The text on the wire: ``description``.
    public var wireText: String { description }
}

extension CalendarDate: JSONReadable, JSONWritable {}
