// The JSON intake stores (person states, catalog entries) is read and written by the fast paths
// exactly as Foundation reads and writes it.

import Foundation
import RegistrySchema
import ServiceRuntime
import Testing
@testable import RegistrationIntake

@Suite struct StoredFormTests {
    static let encoder = RegistryEventEncoder.makeJSONEncoder()
    static let home = AddressSnapshot(
        rca: RCA(rawValue: "1000000000001")!, kato: KATO(rawValue: "751110000")!, region: "Алматы", locality: "Алматы",
        street: "Абай даңғылы 1/2", building: "10", flat: nil)
    /// A street with characters the writer escapes (and the reader leaves to Foundation).
    static let escaped = AddressSnapshot(
        rca: RCA(rawValue: "1000000000002")!, kato: KATO(rawValue: "751110000")!, region: "Алматы", locality: "Алматы",
        street: "Абай \"даңғылы\" \\ 1/2\n", building: "10", flat: "3")

    /// Writes `value` with its own writer, compares with Foundation's bytes, and reads it back both ways.
    /// (With escapes in it, the reader gives up and Foundation reads it.)
    func roundTrip<T: Codable & Equatable & JSONReadable & JSONWritable>(_ value: T, escapes: Bool = false) throws {
        let written = JSONWriter.bytes(of: value)
        #expect(String(decoding: written, as: UTF8.self) == String(decoding: try Self.encoder.encode(value), as: UTF8.self))
        #expect((try? JSONReader.read(T.self, from: written)) == (escapes ? nil : value))
        #expect(try JSONDecoder().decodeReadingFast(T.self, from: Data(written)) == value)
    }

    @Test func personStatesMatchFoundation() throws {
        let stay = ActiveRegistration(address: Self.home, validFrom: CalendarDate("2026-11-01")!, validUntil: CalendarDate("2027-01-01")!)
        for state in [
            PersonRegistrations.unknown,
            PersonRegistrations(sequence: 1, permanent: ActiveRegistration(address: Self.home, validFrom: CalendarDate("2026-11-24")!), temporary: nil),
            PersonRegistrations(sequence: 7, permanent: nil, temporary: stay),
            PersonRegistrations(sequence: 12, permanent: ActiveRegistration(address: Self.home, validFrom: CalendarDate("2020-02-29")!), temporary: stay),
        ] {
            try roundTrip(state)
        }
        try roundTrip(PersonRegistrations(sequence: 2, permanent: ActiveRegistration(address: Self.escaped, validFrom: CalendarDate("2026-11-24")!), temporary: nil), escapes: true)
    }

    @Test func catalogEntriesMatchFoundation() throws {
        for entry in [
            CatalogEntry(address: Self.home, residential: true, owners: []),
            CatalogEntry(address: Self.home, residential: false, owners: [IIN(rawValue: "860101300126")!, IIN(rawValue: "790512400220")!], retired: true),
        ] {
            try roundTrip(entry)
        }
        try roundTrip(CatalogEntry(address: Self.escaped, residential: true, owners: []), escapes: true)
    }
}
