// SchemaDecodingError and describe(_:): field paths and messages from any decoding failure.

import Foundation
import RegistrySchema
import Testing

@Suite("Decoding errors")
struct DecodingErrorTests {
    struct Sample: Decodable {
        struct Inner: Decodable { let codes: [RejectionCode] }
        let inner: Inner
        let count: Int
    }

    private func reduce(_ json: String) throws -> SchemaDecodingError {
        let error = #expect(throws: DecodingError.self) { try JSONDecoder().decode(Sample.self, from: Data(json.utf8)) }
        return SchemaDecodingError(try #require(error))
    }

    @Test("paths join keys with dots and indices with brackets")
    func paths() throws {
        let error = try reduce(#"{"inner":{"codes":["MALFORMED","NOPE"]},"count":1}"#)
        #expect(error.field == "inner.codes[1]")
        #expect(error.kind == .unknownValue)
        #expect(error.message == "unknown code 'NOPE'")
        #expect(error.description == "inner.codes[1]: unknown code 'NOPE'")
    }

    @Test("missing, null and mistyped fields")
    func structural() throws {
        #expect(try reduce(#"{"count":1}"#) == SchemaDecodingError(field: "inner", kind: .missingField, message: "missing required field"))
        #expect(try reduce(#"{"inner":null,"count":1}"#).message == "expected object, found null")
        #expect(try reduce(#"{"inner":{"codes":{}},"count":1}"#).message == "expected array, found object")
        #expect(try reduce(#"{"inner":{"codes":[]},"count":true}"#).message == "expected integer, found boolean")
        #expect(try reduce(#"{"inner":{"codes":[]},"count":"1"}"#) == SchemaDecodingError(field: "count", kind: .wrongType, message: "expected integer, found string"))
        #expect(try reduce("{").kind == .notJSON)
        #expect(try reduce("").field == nil)
    }

    @Test("describe handles envelope errors, decoding errors and anything else")
    func describing() {
        let unsupported = describe(EnvelopeError.unsupportedSpecVersion(found: "0.3"))
        #expect(unsupported.field == "specversion")
        #expect(unsupported.message == "unsupported specversion '0.3', expected '1.0'")
        struct Other: Error, CustomStringConvertible { var description: String { "disk full" } }
        let other = describe(Other())
        #expect(other.field == nil)
        #expect(other.message == "disk full")
        let key = DecodingError.keyNotFound(
            AnyKey("iin"), .init(codingPath: [AnyKey("data"), AnyKey("person")], debugDescription: ""))
        #expect(describe(key) == ("data.person.iin", "missing required field"))
    }

    @Test("rejection codes: INVALID_IIN for IINs, MALFORMED for the rest, UNSUPPORTED_TYPE for version and type")
    func rejectionCodes() {
        #expect(SchemaDecodingError(field: "data.person.iin", kind: .invalidIIN, message: "").rejectionCode == .invalidIIN)
        for kind in SchemaDecodingError.Kind.allCases where kind != .invalidIIN {
            #expect(SchemaDecodingError(field: nil, kind: kind, message: "").rejectionCode == .malformed)
        }
        #expect(EnvelopeError.unsupportedType(found: "x", expected: ["y"]).rejectionCode == .unsupportedType)
        #expect(EnvelopeError.unsupportedSpecVersion(found: "2.0").rejectionCode == .unsupportedType)
    }

    @Test("the rejection codes are the ten of docs/architecture.md §4.4, in order")
    func codes() {
        #expect(RejectionCode.allCases.map(\.rawValue) == [
            "MALFORMED", "UNSUPPORTED_TYPE", "INVALID_IIN", "IIN_BIRTHDATE_MISMATCH", "UNKNOWN_ADDRESS", "NOT_RESIDENTIAL",
            "OWNER_CONSENT_REQUIRED", "INVALID_PERIOD", "ALREADY_REGISTERED", "NOT_REGISTERED",
        ])
        #expect(DeregistrationReason.allCases.map(\.rawValue) == ["emigration", "death", "court", "owner-request", "other"])
        #expect(AddressChangeKind.allCases.map(\.rawValue) == ["registered", "moved", "deregistered", "temporary-registered", "temporary-ended"])
        #expect(DeliveryStatus.allCases.map(\.rawValue) == ["delivered", "retrying", "dead"])
        #expect(RegistrationTerm.allCases.map(\.rawValue) == ["permanent", "temporary"])
    }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
