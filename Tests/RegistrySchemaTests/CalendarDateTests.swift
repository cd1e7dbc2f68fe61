// CalendarDate: strict parsing and exact day arithmetic.

import Foundation
import RegistrySchema
import Testing

@Suite("CalendarDate")
struct CalendarDateTests {
    @Test("real days parse and print back", arguments: ["2024-02-29", "2026-11-24", "0001-01-01", "9999-12-31", "2000-02-29", "1986-01-01"])
    func parses(text: String) throws {
        let date = try CalendarDate(validating: text)
        #expect(date.description == text)
        #expect(CalendarDate(text) == date)
    }

    @Test("anything else is refused", arguments: [
        "2023-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "1900-02-29", "2026-11-24T00:00:00Z",
        "26-11-24", "2026-1-24", "2026/11/24", " 2026-11-24", "2026-11-24 ", "0000-01-01", "", "２０２６-11-24",
    ])
    func refuses(text: String) {
        #expect(throws: CalendarDate.ParseError(text: text)) { try CalendarDate(validating: text) }
        #expect(CalendarDate(text) == nil)
    }

    @Test("the parse error reads 'invalid date …'")
    func message() {
        #expect(CalendarDate.ParseError(text: "2026-13-01").description == "invalid date '2026-13-01'")
    }

    @Test("components are validated")
    func components() {
        #expect(CalendarDate(year: 2024, month: 2, day: 29) != nil)
        #expect(CalendarDate(year: 2023, month: 2, day: 29) == nil)
        #expect(CalendarDate(year: 2026, month: 12, day: 32) == nil)
        #expect(CalendarDate(year: 0, month: 1, day: 1) == nil)
        #expect(CalendarDate.isLeapYear(2000) && !CalendarDate.isLeapYear(1900) && CalendarDate.isLeapYear(2024))
    }

    @Test("adding days crosses months, years and leap days")
    func adding() throws {
        let date = try CalendarDate(validating: "2024-02-28")
        #expect(date.adding(days: 1).description == "2024-02-29")
        #expect(date.adding(days: 2).description == "2024-03-01")
        #expect(try CalendarDate(validating: "2026-12-31").adding(days: 1).description == "2027-01-01")
        #expect(try CalendarDate(validating: "2027-01-01").adding(days: -1).description == "2026-12-31")
        #expect(try CalendarDate(validating: "2026-11-24").adding(days: 365).description == "2027-11-24")
        #expect(try CalendarDate(validating: "1970-01-01").daysSinceEpoch == 0)
        #expect(try CalendarDate(validating: "1969-12-31").daysSinceEpoch == -1)
        #expect(CalendarDate(daysSinceEpoch: 20_781).description == "2026-11-24")
    }

    @Test("day differences")
    func differences() throws {
        let from = try CalendarDate(validating: "2026-11-24")
        let until = try CalendarDate(validating: "2027-11-24")
        #expect(until.days(since: from) == 365)
        #expect(from.days(since: until) == -365)
        #expect(try CalendarDate(validating: "2024-03-01").days(since: CalendarDate(validating: "2024-02-28")) == 2)
        #expect(from.days(since: from) == 0)
    }

    @Test("every day of four centuries round-trips through its day number")
    func dayNumbersRoundTrip() throws {
        var date = try CalendarDate(validating: "1899-12-31")
        var day = date.daysSinceEpoch
        while date.year < 2300 {
            let next = date.adding(days: 1)
            day += 1
            #expect(next.daysSinceEpoch == day)
            #expect(next > date)
            date = next
        }
    }

    @Test("ordering is chronological")
    func ordering() throws {
        let dates = try ["2026-11-24", "2025-12-31", "2026-01-01", "2026-11-23"].map { try CalendarDate(validating: $0) }
        #expect(dates.sorted().map(\.description) == ["2025-12-31", "2026-01-01", "2026-11-23", "2026-11-24"])
    }

    @Test("the UTC day of an instant ignores the local time zone")
    func fromDate() throws {
        let lateEvening = try Timestamp(validating: "2026-11-24T23:59:59.999Z").date
        #expect(CalendarDate(utc: lateEvening).description == "2026-11-24")
        #expect(CalendarDate(utc: Date(timeIntervalSince1970: -1)).description == "1969-12-31")
        #expect(try Timestamp(validating: "2026-11-25T03:00:00+05:00").calendarDateUTC.description == "2026-11-24")
        #expect(try CalendarDate(validating: "2026-11-24").startOfDayUTC.description == "2026-11-24T00:00:00Z")
    }

    @Test("Codable form is the plain string")
    func codable() throws {
        let dates = try JSONDecoder().decode([CalendarDate].self, from: Data(#"["2024-02-29"]"#.utf8))
        #expect(dates == [CalendarDate(year: 2024, month: 2, day: 29)!])
        #expect(String(decoding: try JSONEncoder().encode(dates), as: UTF8.self) == #"["2024-02-29"]"#)
        let error = #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([String: CalendarDate].self, from: Data(#"{"validFrom":"2026-13-01"}"#.utf8))
        }
        let reduced = SchemaDecodingError(try #require(error))
        #expect(reduced.field == "validFrom")
        #expect(reduced.kind == .invalidDate)
        #expect(reduced.message == "invalid date '2026-13-01'")
    }
}
