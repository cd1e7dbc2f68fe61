// Timestamp: an RFC 3339 instant, as the wire carries `time`, `givenAt` and `at`.

import Foundation

/// An instant, read from any RFC 3339 timestamp and written in UTC (docs/architecture.md §4: timestamps are
/// RFC 3339 in UTC).
///
/// Decoding accepts `Z` or a numeric offset (`+05:00`) and any number of fractional-second
/// digits (nanosecond precision is kept; further digits are truncated). Encoding always writes
/// UTC with `Z`, and fractional seconds only when they are not zero, with trailing zeros
/// removed: `2026-11-24T10:15:30Z`, `2026-11-24T10:15:30.25Z`. Leap seconds (`:60`) are refused.
public struct Timestamp: Hashable, Comparable, Sendable, TextCodable, TimeText, CustomStringConvertible, LosslessStringConvertible {
    public static let textName = "timestamp"

    /// Whole seconds since 1970-01-01T00:00:00Z.
    public let secondsSince1970: Int64
    /// Nanoseconds within the second, 0-999 999 999.
    public let nanoseconds: Int32

    /// Why a string is not an RFC 3339 timestamp (`"invalid timestamp '2026-11-24 10:15'"`).
    public typealias ParseError = TimeParseError<Timestamp>

    /// Creates the instant `secondsSince1970` seconds plus `nanoseconds` after the epoch.
    /// - Parameters:
    ///   - secondsSince1970: whole seconds since 1970-01-01T00:00:00Z.
    ///   - nanoseconds: added nanoseconds; values outside 0..<1e9 carry into the seconds.
    public init(secondsSince1970: Int64, nanoseconds: Int32 = 0) {
        let carry = Int64(nanoseconds).quotientAndRemainderFlooring(dividingBy: 1_000_000_000)
        self.secondsSince1970 = secondsSince1970 + carry.quotient
        self.nanoseconds = Int32(carry.remainder)
    }

    /// The instant `milliseconds` after 1970 (a Kafka message's timestamp, a stored time).
    public init(milliseconds: Int64) {
        let split = milliseconds.quotientAndRemainderFlooring(dividingBy: 1_000)
        self.init(secondsSince1970: split.quotient, nanoseconds: Int32(split.remainder * 1_000_000))
    }

    /// Milliseconds since 1970 (the sub-millisecond part dropped).
    public var milliseconds: Int64 { secondsSince1970 * 1000 + Int64(nanoseconds / 1_000_000) }

    /// The instant of a `Date`, rounded to the microsecond (a `Date` holds no more than that
    /// reliably, and this keeps encoded fractions short).
    public init(_ date: Date) {
        let microseconds = (date.timeIntervalSince1970 * 1_000_000).rounded()
        let split = Int64(microseconds).quotientAndRemainderFlooring(dividingBy: 1_000_000)
        self.init(secondsSince1970: split.quotient, nanoseconds: Int32(split.remainder * 1000))
    }

    /// Parses an RFC 3339 timestamp: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
    /// - Throws: ``ParseError`` when the text is not one.
    public init(validating text: String) throws(ParseError) {
        var scanner = ASCIIScanner(text)
        let dash = UInt8(ascii: "-"), colon = UInt8(ascii: ":")
        guard let year = scanner.digits(4), scanner.consume(dash),
              let month = scanner.digits(2), scanner.consume(dash),
              let day = scanner.digits(2),
              let date = CalendarDate(year: year, month: month, day: day),
              scanner.consume(UInt8(ascii: "T"), or: UInt8(ascii: "t")),
              let hour = scanner.digits(2), hour < 24, scanner.consume(colon),
              let minute = scanner.digits(2), minute < 60, scanner.consume(colon),
              let second = scanner.digits(2), second < 60
        else { throw ParseError(text: text) }

        var nanoseconds = 0
        if scanner.consume(UInt8(ascii: ".")) {
            var scale = 100_000_000
            var digitCount = 0
            while let digit = scanner.digit() {
                nanoseconds += digit * scale
                scale /= 10
                digitCount += 1
            }
            guard digitCount > 0 else { throw ParseError(text: text) }
        }

        var offsetSeconds = 0
        if scanner.consume(UInt8(ascii: "Z"), or: UInt8(ascii: "z")) {
            offsetSeconds = 0
        } else if let sign = scanner.next(), sign == UInt8(ascii: "+") || sign == dash,
                  let offsetHours = scanner.digits(2), offsetHours < 24, scanner.consume(colon),
                  let offsetMinutes = scanner.digits(2), offsetMinutes < 60 {
            offsetSeconds = (offsetHours * 3600 + offsetMinutes * 60) * (sign == dash ? -1 : 1)
        } else {
            throw ParseError(text: text)
        }
        guard scanner.isAtEnd else { throw ParseError(text: text) }

        let local = date.daysSinceEpoch * 86_400 + hour * 3600 + minute * 60 + second
        self.init(secondsSince1970: Int64(local - offsetSeconds), nanoseconds: Int32(nanoseconds))
    }

    /// Parses an RFC 3339 timestamp, or returns `nil`.
    public init?(_ description: String) {
        guard let timestamp = try? Timestamp(validating: description) else { return nil }
        self = timestamp
    }

    /// The instant as a `Date`.
    public var date: Date {
        Date(timeIntervalSince1970: Double(secondsSince1970) + Double(nanoseconds) / 1_000_000_000)
    }

    /// The UTC day this instant falls on.
    public var calendarDateUTC: CalendarDate {
        CalendarDate(daysSinceEpoch: Int(secondsSince1970.quotientAndRemainderFlooring(dividingBy: 86_400).quotient))
    }

    /// The instant `seconds` seconds later (earlier when negative).
    public func adding(seconds: Int64) -> Timestamp {
        Timestamp(secondsSince1970: secondsSince1970 + seconds, nanoseconds: nanoseconds)
    }

    /// Orders instants chronologically.
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        (lhs.secondsSince1970, lhs.nanoseconds) < (rhs.secondsSince1970, rhs.nanoseconds)
    }

    /// The RFC 3339 UTC form, e.g. `2026-11-24T10:15:30Z`.
    public var description: String {
        let split = secondsSince1970.quotientAndRemainderFlooring(dividingBy: 86_400)
        let date = CalendarDate(daysSinceEpoch: Int(split.quotient))
        let secondOfDay = Int(split.remainder)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        if (1...9999).contains(date.year) {
            CivilCalendar.appendDigits(date.year, width: 4, to: &bytes)
            bytes.append(UInt8(ascii: "-"))
            CivilCalendar.appendDigits(date.month, width: 2, to: &bytes)
            bytes.append(UInt8(ascii: "-"))
            CivilCalendar.appendDigits(date.day, width: 2, to: &bytes)
        } else {
            bytes.append(contentsOf: date.description.utf8)
        }
        bytes.append(UInt8(ascii: "T"))
        CivilCalendar.appendDigits(secondOfDay / 3600, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        CivilCalendar.appendDigits(secondOfDay / 60 % 60, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        CivilCalendar.appendDigits(secondOfDay % 60, width: 2, to: &bytes)
        if nanoseconds != 0 {
            bytes.append(UInt8(ascii: "."))
            let fractionStart = bytes.count
            CivilCalendar.appendDigits(Int(nanoseconds), width: 9, to: &bytes)
            while bytes.count > fractionStart + 1, bytes.last == UInt8(ascii: "0") { bytes.removeLast() }
        }
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The text on the wire: ``description``.
    public var wireText: String { description }
}

extension Int64 {
    /// Quotient rounded towards negative infinity, with a non-negative remainder.
    fileprivate func quotientAndRemainderFlooring(dividingBy divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}

extension Timestamp: JSONReadable, JSONWritable {}
