// Golden vectors: every valid example round-trips; every invalid one fails as the manifest says.

import Foundation
import RegistrySchema
import Testing

@Suite("Golden vectors")
struct GoldenVectorTests {
    let decoder = RegistryEventDecoder()
    let encoder = RegistryEventEncoder()

    @Test("a valid vector decodes and re-encodes to the same JSON value", arguments: Vectors.validNames)
    func roundTrip(name: String) throws {
        let bytes = try Vectors.data("valid", name)
        let original = try JSONValue(parsing: bytes)

        let event = try decoder.decodeEvent(from: bytes)
        let reencoded = try JSONValue(parsing: encoder.encode(event))
        #expect(reencoded == original, "\(reencoded.differences(from: original))")

        // The typed path (what a single-type consumer uses) gives the same bytes.
        let typed = try decodeAndEncode(as: event.eventType, bytes)
        #expect(try JSONValue(parsing: typed) == original)
        #expect(event.attributes.type == event.eventType.rawValue)
    }

    @Test("every event type has at least one valid vector")
    func everyTypeCovered() throws {
        var seen = Set<EventType>()
        for name in Vectors.validNames {
            seen.insert(try decoder.decodeAttributes(from: Vectors.data("valid", name)).eventType!)
        }
        #expect(seen == Set(EventType.allCases))
        #expect(Vectors.validNames.count >= 25)
    }

    @Test("an invalid vector fails with the manifest's error", arguments: Vectors.invalidEntries)
    func invalid(vector: InvalidVector) throws {
        let bytes = try Vectors.data("invalid", vector.file)
        let outcome: Result<Void, any Error>
        if let expected = vector.decodeAs {
            let type = try #require(EventType(rawValue: expected))
            outcome = Result { _ = try decodeAndEncode(as: type, bytes) }
        } else {
            outcome = Result { _ = try decoder.decodeEvent(from: bytes) }
        }

        switch (vector.error, outcome) {
        case (nil, .success):
            break
        case (nil, .failure(let error)):
            Issue.record("expected Swift to accept it (\(vector.note)), got \(error)")
        case (let expected?, .success):
            Issue.record("decoded, but expected \(expected) at \(vector.field ?? "(document)")")
        case (let expected?, .failure(let error)):
            let envelopeError = try #require(error as? EnvelopeError, "not an EnvelopeError: \(error)")
            #expect(caseName(envelopeError) == expected)
            #expect(envelopeError.field == vector.field)
            #expect(envelopeError.rejectionCode.rawValue == vector.rejectionCode)
            if case .malformed(let schemaError) = envelopeError {
                #expect(schemaError.kind.rawValue == vector.kind)
            }
            if let message = vector.message {
                #expect(envelopeError.message.hasPrefix(message), "message: \(envelopeError.message)")
            }
            let described = describe(error)
            #expect(described.field == vector.field)
            #expect(described.message == envelopeError.message)

            // The single-type reader of the event's own type fails the same way.
            if vector.decodeAs == nil, let attributes = try? decoder.decodeAttributes(from: bytes),
               attributes.isSupportedSpecVersion, let ownType = attributes.eventType {
                #expect(throws: envelopeError) { _ = try decodeAndEncode(as: ownType, bytes) }
            }
        }
    }

    @Test("the manifest lists every invalid file, and only those")
    func manifestComplete() throws {
        let files = Set(try Vectors.files(in: "invalid").map(\.lastPathComponent))
        let listed = Set(Vectors.invalidEntries.map(\.file))
        #expect(files == listed)
        #expect(listed.count == Vectors.invalidEntries.count, "a file is listed twice")
        #expect(listed.count >= 40)
    }

    @Test("the docs/architecture.md §4.3 example fails only on its IINs; with corrected check digits it is valid")
    func designSubmissionExample() throws {
        let verbatim = try Vectors.data("invalid", "design-4.3-submitted-example.json")
        #expect(throws: EnvelopeError.self) { try decoder.decode(RegistrationSubmitted.self, from: verbatim) }
        let corrected = String(decoding: verbatim, as: UTF8.self)
            .replacingOccurrences(of: "860101300125", with: "860101300126")
            .replacingOccurrences(of: "790512400228", with: "790512400220")
        let event = try decoder.decode(RegistrationSubmitted.self, from: Data(corrected.utf8))
        #expect(event.data.person.iin.rawValue == "860101300126")
        #expect(event.data.ownerConsent?.ownerIin.rawValue == "790512400220")
    }

    private func decodeAndEncode(as type: EventType, _ bytes: Data) throws -> Data {
        func roundTrip<D: RegistryEventData>(_ dataType: D.Type) throws -> Data {
            try encoder.encode(decoder.decode(dataType, from: bytes))
        }
        return try roundTrip(type.dataType)
    }

    private func caseName(_ error: EnvelopeError) -> String {
        switch error {
        case .malformed: "malformed"
        case .unsupportedSpecVersion: "unsupportedSpecVersion"
        case .unsupportedType: "unsupportedType"
        }
    }
}
