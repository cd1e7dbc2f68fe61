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
        // Two draws, not one per byte: the system generator makes a system call for each.
        let low: UInt64 = random.next()
        let high: UInt64 = random.next()
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: milliseconds >> (40 - 8 * i)) }
        bytes[6] = 0x70 | UInt8(truncatingIfNeeded: high) & 0x0F  // version 7
        bytes[7] = UInt8(truncatingIfNeeded: high >> 8)
        bytes[8] = 0x80 | UInt8(truncatingIfNeeded: low) & 0x3F  // RFC 9562 variant
        for i in 9..<16 { bytes[i] = UInt8(truncatingIfNeeded: low >> (8 * (i - 8))) }
        return uuidString(bytes)
    }

    /// 16 bytes written as a UUID: lowercase, 8-4-4-4-12.
    public static func uuidString(_ bytes: [UInt8]) -> String {
        precondition(bytes.count == 16, "a UUID has 16 bytes")
        // Written directly: Foundation's `uuidString` formats with snprintf and is upper case,
        // which made ids a few percent of intake's CPU.
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(36)
        for (i, byte) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { text.append(UInt8(ascii: "-")) }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static func make(milliseconds: UInt64) -> String {
        var random = SystemRandomNumberGenerator()
        return make(milliseconds: milliseconds, using: &random)
    }
}
