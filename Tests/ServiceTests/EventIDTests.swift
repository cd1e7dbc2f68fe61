// Event ids are version 7 UUIDs that sort by the time they were made.

import Foundation
@testable import ServiceRuntime
import Testing

struct EventIDTests {
    @Test func idsAreVersion7UUIDsInLowercase() throws {
        for _ in 0..<1_000 {
            let id = EventID.make()
            let uuid = try #require(UUID(uuidString: id), "\(id) is not a UUID")
            #expect(id == id.lowercased())
            #expect(uuid.uuid.6 >> 4 == 7, "version nibble of \(id)")
            #expect(uuid.uuid.8 >> 6 == 0b10, "variant bits of \(id)")
        }
    }

    @Test func theTimeIsInTheFirst48BitsAndIdsSortByIt() throws {
        var random = SplitMix64(seed: 7)
        let milliseconds: UInt64 = 1_795_000_000_123  // November 2026
        let id = EventID.make(milliseconds: milliseconds, using: &random)
        let hex = String(milliseconds, radix: 16)
        #expect(String(id.prefix(13)).replacingOccurrences(of: "-", with: "") == String(repeating: "0", count: 12 - hex.count) + hex)
        let ids = (0..<200).map { step in EventID.make(milliseconds: milliseconds + UInt64(step), using: &random) }
        #expect(ids == ids.sorted(), "ids of later milliseconds sort after earlier ones")
        #expect(Set(ids).count == ids.count)
    }

    @Test func uuidStringWritesWhatFoundationWritesInLowercase() {
        var random = SplitMix64(seed: 11)
        for _ in 0..<500 {
            let bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }
            let uuid = UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                                   bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
            #expect(EventID.uuidString(bytes) == uuid.uuidString.lowercased())
        }
    }
}
