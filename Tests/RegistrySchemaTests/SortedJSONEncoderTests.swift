// SortedJSONEncoder writes exactly the bytes Foundation's JSONEncoder writes with the same options.

import Foundation
import Testing

@testable import RegistrySchema

@Suite("SortedJSONEncoder")
struct SortedJSONEncoderTests {
    static let foundation = RegistryEventEncoder.makeJSONEncoder()

    /// Both encoders' bytes, and whether the fast path took the value (no fallback).
    func both<T: Encodable>(_ value: T) throws -> (fast: [UInt8], foundation: [UInt8]) {
        (try SortedJSONEncoder.fastBytes(value), [UInt8](try Self.foundation.encode(value)))
    }

    @Test("every valid golden vector re-encodes to Foundation's bytes, without falling back", arguments: Vectors.validNames)
    func goldenVectors(name: String) throws {
        let event = try RegistryEventDecoder().decodeEvent(from: Vectors.data("valid", name))
        let (fast, foundation) = try both(event)
        #expect(String(decoding: fast, as: UTF8.self) == String(decoding: foundation, as: UTF8.self))
        #expect(try RegistryEventEncoder().encode(event) == Data(foundation))
    }

    struct Awkward: Encodable {
        struct Inner: Codable {
            var zeta: [String?]
            var alpha: [[Int]]
            var nothing: [String: Int]
        }
        struct Empty: Codable {}
        var text: String
        var optionalAbsent: String?
        var optionalNull: String?
        var numbers: [Int64]
        var unsigned: UInt64
        var small: Int8
        var flag: Bool
        var inner: Inner
        var empty: Empty
        var map: [String: Inner]
        var kind: AddressChangeKind

        enum CodingKeys: String, CodingKey {
            case text, optionalAbsent, optionalNull, numbers, unsigned, small, flag, inner, empty, map, kind
            case Upper, lower, under_score = "_under", digits = "10", ten = "9", nestedObject, nestedList
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(text, forKey: .text)
            try container.encodeIfPresent(optionalAbsent, forKey: .optionalAbsent)
            try container.encode(optionalNull, forKey: .optionalNull)
            try container.encode(numbers, forKey: .numbers)
            try container.encode(unsigned, forKey: .unsigned)
            try container.encode(small, forKey: .small)
            try container.encode(flag, forKey: .flag)
            try container.encode(inner, forKey: .inner)
            try container.encode(empty, forKey: .empty)
            try container.encode(map, forKey: .map)
            try container.encode(kind, forKey: .kind)
            // Key order by bytes: upper case before lower, "_" between, digits first.
            try container.encode(1, forKey: .Upper)
            try container.encode(2, forKey: .lower)
            try container.encode(3, forKey: .under_score)
            try container.encode(4, forKey: .digits)
            try container.encode(5, forKey: .ten)
            // Encoded twice: the last value stays.
            try container.encode("first", forKey: .lower)
            try container.encode("second", forKey: .lower)
            var nested = container.nestedContainer(keyedBy: CodingKeys.self, forKey: .nestedObject)
            try nested.encode("filled later", forKey: .text)
            var list = container.nestedUnkeyedContainer(forKey: .nestedList)
            try list.encode("second")
            try list.encodeNil()
            var object = list.nestedContainer(keyedBy: CodingKeys.self)
            try object.encode(true, forKey: .flag)
            var deeper = object.nestedUnkeyedContainer(forKey: .numbers)
            try deeper.encode(7)
            try object.encode(8, forKey: .small)
        }
    }

    @Test("escapes, key order, nesting, nulls, repeated keys, nested containers and extremes match Foundation")
    func awkwardValues() throws {
        var control = ""
        for scalar in 0..<0x20 { control.unicodeScalars.append(Unicode.Scalar(UInt8(scalar))) }
        let inner = Awkward.Inner(zeta: ["a", nil, "\u{7f}"], alpha: [[], [Int.min, Int.max]], nothing: [:])
        let value = Awkward(
            text: "quote \" backslash \\ slash / \(control) Қазақстан 🇰🇿 \u{2028} end", optionalAbsent: nil, optionalNull: nil,
            numbers: [0, -1, Int64.max], unsigned: UInt64.max, small: -128, flag: false, inner: inner, empty: .init(),
            map: ["b": inner, "a": inner, "ä": inner, "B": inner, "": inner], kind: .moved)
        let (fast, foundation) = try both(value)
        #expect(String(decoding: fast, as: UTF8.self) == String(decoding: foundation, as: UTF8.self))
    }

    struct Merging: Encodable {
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Awkward.CodingKeys.self)
            try container.encode([1], forKey: .numbers)
            var list = container.nestedUnkeyedContainer(forKey: .numbers)
            try list.encode(2)
            try container.encode(["text": "kept"], forKey: .inner)
            var object = container.nestedContainer(keyedBy: Awkward.CodingKeys.self, forKey: .inner)
            try object.encode("added", forKey: .kind)
        }
    }

    @Test("a nested container for a key already encoded (Foundation merges them) is left to Foundation")
    func merging() throws {
        #expect(throws: SortedJSONEncoder.Unsupported.self) { try SortedJSONEncoder.fastBytes(Merging()) }
        #expect(try SortedJSONEncoder().encodeBytes(Merging()) == [UInt8](Self.foundation.encode(Merging())))
    }

    @Test("values at the top: strings, numbers, arrays, nil")
    func topLevel() throws {
        for (fast, foundation) in [
            try both("top/level \"string\""), try both(42), try both([3, 1, 2]), try both([String?.none, "x"]), try both(true),
            try both(CalendarDate(year: 2026, month: 2, day: 28)!),
        ] {
            #expect(fast == foundation)
        }
    }

    struct Fractional: Codable {
        var when: Date
        var amount: Double
        var bytes: Data
        var link: URL
    }

    @Test("dates, fractions, data and URLs are left to Foundation: the same bytes through the fallback")
    func fallback() throws {
        let value = Fractional(when: Date(timeIntervalSince1970: 1_700_000_000.25), amount: 0.1, bytes: Data([0, 255]), link: URL(string: "https://egov.kz/a")!)
        #expect(throws: SortedJSONEncoder.Unsupported.self) { try SortedJSONEncoder.fastBytes(value) }
        #expect(try SortedJSONEncoder().encodeBytes(value) == [UInt8](Self.foundation.encode(value)))
        #expect(throws: SortedJSONEncoder.Unsupported.self) { try SortedJSONEncoder.fastBytes([1.5]) }
        #expect(try SortedJSONEncoder().encode([1.5, 2]) == Self.foundation.encode([1.5, 2]))
    }
}
