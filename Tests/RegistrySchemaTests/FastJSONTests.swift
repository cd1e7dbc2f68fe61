// The fast JSON paths (JSONReader, JSONWriter) give exactly what Foundation gives.

import Foundation
import Testing

@testable import RegistrySchema

@Suite("Fast JSON paths")
struct FastJSONTests {
    static let foundationDecoder = RegistryEventDecoder(readsFast: false)
    static let foundationEncoder = RegistryEventEncoder.makeJSONEncoder()
    /// The types the services read on their hot paths: the reader must take them itself.
    static let readTypes: Set<EventType> = [.registrationSubmitted, .registrationAccepted, .registrationRejected, .addressChanged, .addressCurrent, .accessLogged]

    @Test("a valid vector of a hot type is read by the reader itself, to the value Foundation decodes", arguments: Vectors.validNames)
    func readerMatchesFoundation(name: String) throws {
        let bytes = try Vectors.data("valid", name)
        let foundation = try Self.foundationDecoder.decodeEvent(from: bytes)
        let read = (try? JSONReader.read(RegistryEvent.self, from: [UInt8](bytes)))
        if Self.readTypes.contains(foundation.eventType) {
            #expect(read == foundation)
        } else {
            #expect(read == nil, "types off the hot paths are left to Foundation")
        }
        #expect(try RegistryEventDecoder().decodeEvent(from: bytes) == foundation)
    }

    @Test("a valid vector of a hot type is written by the writer to Foundation's bytes", arguments: Vectors.validNames)
    func writerMatchesFoundation(name: String) throws {
        let event = try Self.foundationDecoder.decodeEvent(from: Vectors.data("valid", name))
        let written: [UInt8]? = switch event {
        case .registrationSubmitted(let e): JSONWriter.bytes(of: e)
        case .registrationAccepted(let e): JSONWriter.bytes(of: e)
        case .registrationRejected(let e): JSONWriter.bytes(of: e)
        case .addressChanged(let e): JSONWriter.bytes(of: e)
        case .addressCurrent(let e): JSONWriter.bytes(of: e)
        case .accessLogged(let e): JSONWriter.bytes(of: e)
        default: nil
        }
        guard let written else { return }
        let foundation = [UInt8](try Self.foundationEncoder.encode(event))
        #expect(String(decoding: written, as: UTF8.self) == String(decoding: foundation, as: UTF8.self))
    }

    @Test("an invalid vector fails identically with and without the reader", arguments: Vectors.invalidEntries)
    func invalidVectorsUnchanged(vector: InvalidVector) throws {
        let bytes = try Vectors.data("invalid", vector.file)
        func outcome(_ decoder: RegistryEventDecoder) -> String {
            do { return "decoded \(try decoder.decodeEvent(from: bytes))" } catch { return "\(error)" }
        }
        #expect(outcome(RegistryEventDecoder()) == outcome(Self.foundationDecoder))
    }

    static let accepted = #"{"data":{"address":{"building":"10","flat":"25","kato":"751110000","locality":"Алматы","rca":"1000000000001","region":"Алматы","street":"Абай даңғылы"},"kind":"permanent","person":{"birthDate":"1986-01-01","givenName":"Арман","iin":"860101300126","patronymic":null,"surname":"Ахметов"},"previousAddress":null,"reason":null,"registration":null,"sequence":3,"submission":{"id":"s-1","source":"/egov/portal"},"validFrom":"2026-11-24","validUntil":null},"datacontenttype":"application/json","id":"a-1","source":"/registry/intake","specversion":"1.0","subject":"860101300126","time":"2026-11-24T10:15:30Z","type":"kz.registry.registration.accepted.v1"}"#

    /// Variations Foundation reads but the reader leaves to it; the result must not change.
    static let leftToFoundation: [(String, String)] = [
        ("an escaped string", accepted.replacingOccurrences(of: #""s-1""#, with: #""s\u002d1""#)),
        ("an escaped key", accepted.replacingOccurrences(of: #""sequence""#, with: #""sequenc\u0065""#)),
        ("a fractional integer", accepted.replacingOccurrences(of: #""sequence":3"#, with: #""sequence":3.0"#)),
        ("an exponent", accepted.replacingOccurrences(of: #""sequence":3"#, with: #""sequence":3e0"#)),
        ("a negative zero", accepted.replacingOccurrences(of: #""sequence":3"#, with: #""sequence":-0"#)),
        ("a byte-order mark", "\u{FEFF}" + accepted),
        ("a lenient unknown number", accepted.replacingOccurrences(of: #""kind":"#, with: #""extra":01,"kind":"#)),
        ("a trailing comma in an unknown array", accepted.replacingOccurrences(of: #""kind":"#, with: #""extra":[1,],"kind":"#)),
        ("deep nesting in an unknown field", accepted.replacingOccurrences(of: #""kind":"#, with: #""extra":"# + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + #","kind":"#)),
    ]

    @Test("what the reader leaves to Foundation decodes as Foundation decodes it")
    func leftToFoundationDecodesTheSame() throws {
        for (what, text) in Self.leftToFoundation {
            let bytes = Data(text.utf8)
            #expect((try? JSONReader.read(RegistryEvent.self, from: [UInt8](bytes))) == nil, "\(what): the reader gave up")
            let foundation = Result { try Self.foundationDecoder.decodeEvent(from: bytes) }.map { "\($0)" }
            let both = Result { try RegistryEventDecoder().decodeEvent(from: bytes) }.map { "\($0)" }
            #expect("\(both)" == "\(foundation)", "\(what)")
        }
    }

    @Test("repeated keys: the first one counts, as in Foundation; whitespace anywhere is fine")
    func repeatedKeysAndWhitespace() throws {
        let repeated = Self.accepted.replacingOccurrences(of: #""sequence":3"#, with: #""sequence":3,"sequence":"x","kind":"temporary""#)
        let spaced = Self.accepted.replacingOccurrences(of: #",""#, with: " ,\n\t\"").replacingOccurrences(of: #"":"#, with: "\"\r: ")
        for text in [repeated, spaced, " \n" + Self.accepted + " \n"] {
            let bytes = Data(text.utf8)
            let read = try #require((try? JSONReader.read(RegistryEvent.self, from: [UInt8](bytes))))
            #expect(read == (try Self.foundationDecoder.decodeEvent(from: bytes)))
        }
    }

    /// A submission's data as the registry writes it (members sorted), which
    /// ``RegistrationSubmitted`` reads out of order: it asks in the contract's order (kind,
    /// person, rca, …).
    static let sortedSubmission = #"{"kind":"permanent","ownerConsent":{"givenAt":"2026-11-23T09:00:00Z","ownerIin":"790512400220"},"person":{"birthDate":"1986-01-01","givenName":"Арман","iin":"860101300126","patronymic":"Серікұлы","surname":"Ахметов"},"rca":"1000000000001","reason":null,"registration":null,"validFrom":"2026-11-24","validUntil":null}"#

    @Test("members asked for out of the document's order read to Foundation's value, and what was passed is still checked")
    func membersOutOfOrder() throws {
        let decoder = JSONDecoder()
        let inOrder = Data(Self.sortedSubmission.utf8)
        let read = try #require(try? JSONReader.read(RegistrationSubmitted.self, from: [UInt8](inOrder)))
        #expect(read == (try decoder.decode(RegistrationSubmitted.self, from: inOrder)))

        // Each variation sits where the reader passes it by its structure only (before `person`,
        // which it asks for second, or in `person` before `iin`, which that asks for first); the
        // reader must still give up, leaving the bytes to Foundation.
        let passed = #""ownerConsent":"#
        var invalidUTF8 = [UInt8](Self.sortedSubmission.utf8)
        let givenName = try #require(invalidUTF8.firstRange(of: Array("Арман".utf8)))
        invalidUTF8[givenName.lowerBound] = 0xFF
        let variations: [(String, [UInt8])] = [
            ("invalid UTF-8 in a member passed before the one asked for", invalidUTF8),
            ("an invalid number in a member passed and never asked for",
             Array(Self.sortedSubmission.replacingOccurrences(of: passed, with: #""extra":{"n":[1.]},"# + passed).utf8)),
            ("mismatched brackets in a member passed and never asked for",
             Array(Self.sortedSubmission.replacingOccurrences(of: passed, with: #""extra":{"n":[}],"# + passed).utf8)),
            ("a literal Foundation refuses in a member passed and asked for later",
             Array(Self.sortedSubmission.replacingOccurrences(of: #""givenAt":"2026-11-23T09:00:00Z""#, with: #""givenAt":"2026-11-23T09:00:00Z","x":nul"#).utf8)),
        ]
        for (what, bytes) in variations {
            #expect((try? JSONReader.read(RegistrationSubmitted.self, from: bytes)) == nil, "\(what): the reader gave up")
            let foundation = Result { try decoder.decode(RegistrationSubmitted.self, from: Data(bytes)) }.map { "\($0)" }
            let both = Result { try decoder.decodeReadingFast(RegistrationSubmitted.self, from: Data(bytes)) }.map { "\($0)" }
            #expect("\(both)" == "\(foundation)", "\(what)")
        }
    }

    @Test("strings with quotes, backslashes, control characters and non-ASCII are written as Foundation writes them")
    func writerEscapes() throws {
        var control = ""
        for scalar in 0..<0x20 { control.unicodeScalars.append(Unicode.Scalar(UInt8(scalar))) }
        let text = "quote \" backslash \\ slash / \(control) Қазақстан 🇰🇿 \u{2028} \u{7f} end"
        let reason = RejectionReason(code: .malformed, message: text)
        #expect(JSONWriter.bytes(of: reason) == [UInt8](try Self.foundationEncoder.encode(reason)))
        #expect(JSONWriter.bytes(of: text) == [UInt8](try Self.foundationEncoder.encode(text)))
    }
}
