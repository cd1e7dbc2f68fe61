// RCA and KATO: their forms and KATO prefix filters.

import Foundation
import RegistrySchema
import Testing

@Suite("RCA and KATO")
struct AddressIdentifierTests {
    @Test("an RCA is 1-32 digits", arguments: ["1", "1000000000001", String(repeating: "9", count: 32), "0"])
    func validRCA(text: String) throws {
        #expect(try RCA(validating: text).rawValue == text)
        #expect(RCA.isValid(text))
    }

    @Test("anything else is not an RCA", arguments: ["", String(repeating: "1", count: 33), "RCA-1", " 1", "1.0", "١٢٣"])
    func invalidRCA(text: String) {
        #expect(RCA(rawValue: text) == nil)
        #expect(throws: IdentifierFormatError.self) { try RCA(validating: text) }
    }

    @Test("a KATO code is exactly 9 digits")
    func katoForm() throws {
        #expect(try KATO(validating: "751110000").rawValue == "751110000")
        for text in ["75111000", "7511100000", "75111000a", "", "75 110000"] {
            #expect(KATO(rawValue: text) == nil, "\(text)")
        }
        #expect(throws: IdentifierFormatError(identifier: .kato, text: "1")) { try KATO(validating: "1") }
    }

    @Test("KATO prefixes select regions and districts")
    func katoPrefixes() throws {
        let almaty = try KATO(validating: "751110000")
        #expect(almaty.hasPrefix("75"))
        #expect(almaty.hasPrefix("7511"))
        #expect(almaty.hasPrefix("751110000"))
        #expect(almaty.hasPrefix(""))
        #expect(!almaty.hasPrefix("71"))
        #expect(!almaty.hasPrefix("7511100001"))
        #expect(almaty.hasPrefix(anyOf: ["71", "75"]))
        #expect(!almaty.hasPrefix(anyOf: [String]()))
        #expect(almaty.regionCode == "75")
        #expect(almaty.districtCode == "7511")
        #expect(KATO.isValidPrefix("75"))
        #expect(!KATO.isValidPrefix(""))
        #expect(!KATO.isValidPrefix("7a"))
        #expect(!KATO.isValidPrefix("7511100001"))
    }

    @Test("decoding an invalid RCA or KATO names the field and the identifier")
    func decodingErrors() throws {
        let decoder = JSONDecoder()
        let rcaError = #expect(throws: DecodingError.self) { try decoder.decode([String: RCA].self, from: Data(#"{"rca":"x"}"#.utf8)) }
        let rca = SchemaDecodingError(try #require(rcaError))
        #expect(rca.field == "rca")
        #expect(rca.kind == .invalidRCA)
        #expect(rca.message == "invalid RCA: must be 1-32 digits")
        let katoError = #expect(throws: DecodingError.self) { try decoder.decode([KATO].self, from: Data(#"["751110000", 7]"#.utf8)) }
        let kato = SchemaDecodingError(try #require(katoError))
        #expect(kato.field == "[1]")
        #expect(kato.message == "expected string, found number")
    }
}
