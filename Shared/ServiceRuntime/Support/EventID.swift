// Ids for the events the services make: UUIDs that sort by the time they were made.

import Foundation

/// Makes CloudEvent ids as version 7 UUIDs (RFC 9562): 48 bits of Unix time in milliseconds, then
/// 74 random bits, written as usual (lowercase, 8-4-4-4-12).
///
/// Consumers keep every event id they have seen in a unique index (notification's
/// `notification_event`). With random (version 4) ids each insert lands on a random page of
/// that index, so once the index outgrows the page cache every event read and wrote a page of
/// its own, and the cost per event grew with the store. Ids that grow with time are appended to
/// the index's last pages instead. Hand-written because Foundation here has no version 7 UUIDs.
public enum EventID {
    /// A new id, ordered after the ids of earlier milliseconds.
    public static func make(at date: Date = Date()) -> String {
        make(milliseconds: UInt64(max(0, date.timeIntervalSince1970 * 1000)))
    }

    /// The id for `milliseconds` since 1970 and `random` bits (for tests).
    static func make<G: RandomNumberGenerator>(milliseconds: UInt64, using random: inout G) -> String {
        var bytes = (0..<6).map { UInt8(truncatingIfNeeded: milliseconds >> (40 - 8 * $0)) }
        bytes += (0..<10).map { _ in UInt8.random(in: 0...255, using: &random) }
        bytes[6] = 0x70 | bytes[6] & 0x0F  // version 7
        bytes[8] = 0x80 | bytes[8] & 0x3F  // RFC 9562 variant
        return uuidString(bytes)
    }

    /// 16 bytes written as a UUID: lowercase, 8-4-4-4-12.
    public static func uuidString(_ b: [UInt8]) -> String {
        precondition(b.count == 16, "a UUID has 16 bytes")
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15])).uuidString.lowercased()
    }

    private static func make(milliseconds: UInt64) -> String {
        var random = SystemRandomNumberGenerator()
        return make(milliseconds: milliseconds, using: &random)
    }
}
