// Timestamp: RFC 3339 in (Z, offsets, fractions), UTC out.

import Foundation
import RegistrySchema
import Testing

@Suite("Timestamp")
struct TimestampTests {
    @Test("RFC 3339 forms decode to the same instant", arguments: [
        ("2026-11-24T10:15:30Z", "2026-11-24T10:15:30Z"),
        ("2026-11-24t10:15:30z", "2026-11-24T10:15:30Z"),
        ("2026-11-24T15:15:30+05:00", "2026-11-24T10:15:30Z"),
        ("2026-11-24T05:15:30-05:00", "2026-11-24T10:15:30Z"),
        ("2026-11-24T10:15:30-00:00", "2026-11-24T10:15:30Z"),
        ("2026-11-25T01:45:30+15:30", "2026-11-24T10:15:30Z"),
        ("2026-11-24T10:15:30.000Z", "2026-11-24T10:15:30Z"),
        ("2026-11-24T10:15:30.5Z", "2026-11-24T10:15:30.5Z"),
        ("2026-11-24T10:15:30.120Z", "2026-11-24T10:15:30.12Z"),
        ("2026-11-24T10:15:30.123456789Z", "2026-11-24T10:15:30.123456789Z"),
        ("2026-11-24T10:15:30.1234567891Z", "2026-11-24T10:15:30.123456789Z"),
        ("2027-01-01T04:59:59.25+05:00", "2026-12-31T23:59:59.25Z"),
        ("1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"),
    ])
    func decodes(input: String, canonical: String) throws {
        let timestamp = try Timestamp(validating: input)
        #expect(timestamp.description == canonical)
        #expect(try Timestamp(validating: canonical) == timestamp)
    }

    @Test("anything else is refused", arguments: [
        "2026-11-24T10:15:30", "2026-11-24 10:15:30Z", "2026-11-24T24:00:00Z", "2026-11-24T10:60:00Z",
        "2026-11-24T10:15:60Z", "2026-11-24T10:15Z", "2026-11-24T10:15:30.Z", "2026-11-24T10:15:30+0500",
        "2026-11-24T10:15:30+24:00", "2026-02-30T10:15:30Z", "2026-11-24", "yesterday", "", "2026-11-24T10:15:30Zx",
    ])
    func refuses(text: String) {
        #expect(throws: Timestamp.ParseError(text: text)) { try Timestamp(validating: text) }
    }

    @Test("Date conversion keeps the instant to the microsecond")
    func dates() throws {
        let date = Date(timeIntervalSince1970: 1_795_515_330.25)
        let timestamp = Timestamp(date)
        #expect(timestamp.description == "2026-11-24T10:15:30.25Z")
        #expect(timestamp.date == date)
        #expect(Timestamp(Date(timeIntervalSince1970: -0.5)).description == "1969-12-31T23:59:59.5Z")
        #expect(Timestamp(secondsSince1970: 0, nanoseconds: -1).description == "1969-12-31T23:59:59.999999999Z")
    }

    @Test("ordering and arithmetic")
    func ordering() throws {
        let consent = try Timestamp(validating: "2026-11-23T09:00:00Z")
        let event = try Timestamp(validating: "2026-11-24T10:15:30+05:00")
        #expect(consent < event)
        #expect(consent.adding(seconds: 86_400).description == "2026-11-24T09:00:00Z")
        #expect(try Timestamp(validating: "2026-11-24T10:15:30.1Z") > Timestamp(validating: "2026-11-24T10:15:30Z"))
    }

    @Test("Codable form is the UTC string; an invalid one names the field")
    func codable() throws {
        struct Holder: Codable { let givenAt: Timestamp }
        let holder = try JSONDecoder().decode(Holder.self, from: Data(#"{"givenAt":"2026-11-23T14:00:00+05:00"}"#.utf8))
        #expect(String(decoding: try RegistryEventEncoder.makeJSONEncoder().encode(holder), as: UTF8.self) == #"{"givenAt":"2026-11-23T09:00:00Z"}"#)
        let error = #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Holder.self, from: Data(#"{"givenAt":"2026-11-23"}"#.utf8))
        }
        let reduced = SchemaDecodingError(try #require(error))
        #expect(reduced.field == "givenAt")
        #expect(reduced.kind == .invalidTimestamp)
    }
}
