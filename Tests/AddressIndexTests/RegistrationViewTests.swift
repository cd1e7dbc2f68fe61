// The registration route's answer, written without Codable, is what Foundation writes.

import Foundation
import RegistrySchema
import Testing
@testable import AddressIndex

@Suite struct RegistrationViewTests {
    static let views: [RegistrationView] = {
        var quoted = IndexFixtures.address("70002")
        quoted.street = "\"Көк/тем\" \\ көшесі\n"
        quoted.flat = "12"
        let permanent = PermanentRegistration(address: IndexFixtures.address("70001"), validFrom: CalendarDate("2024-03-01")!)
        let temporary = TemporaryRegistration(address: quoted, validFrom: CalendarDate("2026-05-01")!, validUntil: CalendarDate("2026-08-01")!)
        let day = CalendarDate("2026-06-01")!
        return [
            RegistrationView(iin: IndexFixtures.person, asOf: day, permanent: nil, temporary: nil),
            RegistrationView(iin: IndexFixtures.person, asOf: day, permanent: permanent, temporary: nil),
            RegistrationView(iin: IndexFixtures.person, asOf: day, permanent: nil, temporary: temporary),
            RegistrationView(iin: IndexFixtures.person, asOf: day, permanent: permanent, temporary: temporary),
        ]
    }()

    @Test("every shape of the answer (none, permanent, temporary, both) is Foundation's sorted-key JSON", arguments: views)
    func writtenAsFoundationWritesIt(view: RegistrationView) throws {
        let foundation = JSONEncoder()
        foundation.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let expected = [UInt8](try foundation.encode(view))
        #expect(JSONWriter.bytes(of: view) == expected)
        #expect(try SortedJSONEncoder().encodeBytes(view) == expected, "the route's encoder takes the written path")
        let text = String(decoding: expected, as: UTF8.self)
        #expect(text.contains(#""permanent":"#) && text.contains(#""temporary":"#), "absent registrations are null, not left out")
    }
}
