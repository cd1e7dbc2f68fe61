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
        let high = random.next() as UInt64
        let low = random.next() as UInt64
        let b = (
            UInt8(truncatingIfNeeded: milliseconds >> 40), UInt8(truncatingIfNeeded: milliseconds >> 32),
            UInt8(truncatingIfNeeded: milliseconds >> 24), UInt8(truncatingIfNeeded: milliseconds >> 16),
            UInt8(truncatingIfNeeded: milliseconds >> 8), UInt8(truncatingIfNeeded: milliseconds),
            0x70 | UInt8(truncatingIfNeeded: high >> 60), UInt8(truncatingIfNeeded: high >> 52),
            0x80 | UInt8(truncatingIfNeeded: low >> 58), UInt8(truncatingIfNeeded: low >> 50),
            UInt8(truncatingIfNeeded: low >> 42), UInt8(truncatingIfNeeded: low >> 34),
            UInt8(truncatingIfNeeded: low >> 26), UInt8(truncatingIfNeeded: low >> 18),
            UInt8(truncatingIfNeeded: low >> 10), UInt8(truncatingIfNeeded: low >> 2))
        return UUID(uuid: b).uuidString.lowercased()
    }

    private static func make(milliseconds: UInt64) -> String {
        var random = SystemRandomNumberGenerator()
        return make(milliseconds: milliseconds, using: &random)
    }
}
