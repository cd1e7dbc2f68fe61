// The CloudEvents envelope: building, encoding, lenient reading, precise failures.

import Foundation
import RegistrySchema
import Testing

@Suite("CloudEvent envelope")
struct CloudEventTests {
    let decoder = RegistryEventDecoder()
    let encoder = RegistryEventEncoder()
    let time = Timestamp("2026-11-24T10:15:30Z")!

    @Test("the content-type header is application/cloudevents+json")
    func contentType() {
        #expect(CloudEventsContentType.headerName == "content-type")
        #expect(CloudEventsContentType.structuredJSON == "application/cloudevents+json")
        #expect(CloudEventsContentType.dataJSON == "application/json")
    }

    @Test("a registry event takes its type and subject from its data and encodes with sorted keys")
    func buildAndEncode() throws {
        let event = CloudEvent(id: "cat-0004", source: "/address-register", time: time, data: AddressRetired(rca: RCA(rawValue: "1000000000001")!))
        #expect(event.type == "kz.registry.address.retired.v1")
        #expect(event.subject == "1000000000001")
        #expect(event.specVersion == "1.0")
        #expect(event.eventType == .addressRetired)
        let json = String(decoding: try encoder.encode(event), as: UTF8.self)
        #expect(json == #"{"data":{"rca":"1000000000001"},"datacontenttype":"application/json","id":"cat-0004","source":"/address-register","specversion":"1.0","subject":"1000000000001","time":"2026-11-24T10:15:30Z","type":"kz.registry.address.retired.v1"}"#)
        #expect(try encoder.encodeBytes(event) == [UInt8](encoder.encode(event)))
        #expect(try decoder.decode(AddressRetired.self, from: encoder.encodeBytes(event)) == event)
    }

    @Test("absent optional attributes are omitted; absent optional data fields are written as null")
    func nulls() throws {
        let person = PersonDetails(iin: IIN(rawValue: "860101300126")!, surname: "Ахметов", givenName: "Арман", patronymic: nil, birthDate: CalendarDate("1986-01-01")!)
        let submission = RegistrationSubmitted(kind: .deregistration, person: person, rca: nil, validFrom: CalendarDate("2027-03-01")!, reason: .death)
        var event = CloudEvent(id: "1", source: "/egov/portal", time: time, data: submission)
        event.time = nil
        event.subject = nil
        let json = try JSONValue(parsing: encoder.encode(event))
        #expect(json.objectKeys == ["specversion", "id", "source", "type", "datacontenttype", "data"])
        #expect(json["data"]?["rca"] == .null)
        #expect(json["data"]?["validUntil"] == .null)
        #expect(json["data"]?["ownerConsent"] == .null)
        #expect(json["data"]?["registration"] == .null)
        #expect(json["data"]?["reason"] == .string("death"))
        #expect(json["data"]?["person"]?["patronymic"] == .null)
        #expect(submission.endedRegistration == .permanent)
        #expect(!String(decoding: try encoder.encode(event), as: UTF8.self).contains(#"\/"#))
    }

    @Test("absent and null optional fields both decode to nil")
    func absentOrNull() throws {
        let absent = try submission(data: #"{"kind":"permanent","person":{"iin":"860101300126","surname":"A","givenName":"B","birthDate":"1986-01-01"},"rca":"1","validFrom":"2026-11-24"}"#)
        let null = try submission(data: #"{"kind":"permanent","person":{"iin":"860101300126","surname":"A","givenName":"B","patronymic":null,"birthDate":"1986-01-01"},"rca":"1","validFrom":"2026-11-24","validUntil":null,"ownerConsent":null,"registration":null,"reason":null}"#)
        #expect(absent.data == null.data)
        #expect(absent.data.validUntil == nil && absent.data.person.patronymic == nil && absent.data.ownerConsent == nil)
    }

    @Test("unknown attributes and unknown data fields are ignored")
    func forwardCompatible() throws {
        let json = #"{"specversion":"1.0","id":"1","source":"/s","type":"kz.registry.address.retired.v1","traceparent":"00-abc","data":{"rca":"42","retiredBecause":"demolished"}}"#
        let event = try decoder.decode(AddressRetired.self, from: Data(json.utf8))
        #expect(event.data.rca.rawValue == "42")
        #expect(event.time == nil)
        #expect(event.subject == nil)
        #expect(event.dataContentType == nil)
    }

    @Test("envelope attributes are readable when the data is broken")
    func attributesOfBrokenData() throws {
        let json = #"{"specversion":"1.0","id":"x-1","source":"/egov/portal","type":"kz.registry.registration.submitted.v1","time":"2026-11-24T10:15:30Z","subject":"860101300126","data":{"kind":5}}"#
        let bytes = [UInt8](json.utf8)
        #expect(throws: EnvelopeError.self) { try decoder.decode(RegistrationSubmitted.self, from: bytes) }
        let attributes = try decoder.decodeAttributes(from: bytes)
        #expect(attributes.id == "x-1")
        #expect(attributes.eventType == .registrationSubmitted)
        #expect(attributes.time == time)
        #expect(attributes.subject == "860101300126")
        #expect(attributes.submissionReference == SubmissionReference(source: "/egov/portal", id: "x-1"))
    }

    @Test("attributes of another specversion are readable, so the event can be answered")
    func attributesOfOtherVersion() throws {
        let json = #"{"specversion":"0.3","id":"old","source":"/legacy","type":"kz.registry.registration.submitted.v1","data":{}}"#
        let attributes = try decoder.decodeAttributes(from: Data(json.utf8))
        #expect(!attributes.isSupportedSpecVersion)
        #expect(attributes.specVersion == "0.3")
        #expect(throws: EnvelopeError.unsupportedSpecVersion(found: "0.3")) { try decoder.decode(RegistrationSubmitted.self, from: Data(json.utf8)) }
    }

    @Test("source and id are read from whatever is readable")
    func submissionReference() {
        let ref = { (json: String) in decoder.submissionReference(from: Data(json.utf8)) }
        #expect(ref(#"{"id":"7","source":"/psc","specversion":2,"data":[]}"#) == SubmissionReference(source: "/psc", id: "7"))
        #expect(ref(#"{"id":7,"source":"/psc"}"#) == nil)
        #expect(ref(#"{"id":"","source":"/psc"}"#) == nil)
        #expect(ref(#"{"id":"7"}"#) == nil)
        #expect(ref(#"[1]"#) == nil)
        #expect(ref("not json") == nil)
        #expect(decoder.submissionReference(from: [UInt8](#"{"id":"a","source":"b"}"#.utf8)) == SubmissionReference(source: "b", id: "a"))
    }

    @Test("envelope structure is checked before specversion and type, and those before data")
    func checkOrder() throws {
        // A missing id is MALFORMED even though the type is wrong too.
        let noId = #"{"specversion":"1.0","source":"/s","type":"kz.registry.other.v1","data":{}}"#
        #expect(throws: EnvelopeError.malformed(SchemaDecodingError(field: "id", kind: .missingField, message: "missing required field"))) {
            try decoder.decode(RegistrationSubmitted.self, from: Data(noId.utf8))
        }
        // A wrong type with broken data is UNSUPPORTED_TYPE: the data is never read.
        let wrongType = #"{"specversion":"1.0","id":"1","source":"/s","type":"kz.registry.address.retired.v1","data":{"kind":5}}"#
        let error = #expect(throws: EnvelopeError.self) { try decoder.decode(RegistrationSubmitted.self, from: Data(wrongType.utf8)) }
        #expect(error == .unsupportedType(found: "kz.registry.address.retired.v1", expected: ["kz.registry.registration.submitted.v1"]))
        #expect(error?.rejectionCode == .unsupportedType)
        // So is a wrong specversion.
        let oldVersion = #"{"specversion":"0.3","id":"1","source":"/s","type":"kz.registry.registration.submitted.v1","data":{"kind":5}}"#
        #expect(throws: EnvelopeError.unsupportedSpecVersion(found: "0.3")) { try decoder.decode(RegistrationSubmitted.self, from: Data(oldVersion.utf8)) }
    }

    @Test("any-type decoding routes by type and refuses unknown types")
    func registryEvent() throws {
        let json = #"{"specversion":"1.0","id":"1","source":"/s","type":"kz.registry.address.occupancy-alert.v1","data":{"rca":"1","kato":"751110000","residents":11,"threshold":10}}"#
        let event = try decoder.decodeEvent(from: [UInt8](json.utf8))
        guard case .occupancyAlert(let alert) = event else {
            Issue.record("decoded as \(event.eventType)")
            return
        }
        #expect(alert.data.residents == 11)
        #expect((event.data as? OccupancyAlert) == alert.data)
        #expect(event.attributes.id == "1")
        let unknown = json.replacingOccurrences(of: "occupancy-alert", with: "graffiti")
        let error = #expect(throws: EnvelopeError.self) { try decoder.decodeEvent(from: Data(unknown.utf8)) }
        #expect(error?.field == "type")
        #expect(error?.message == "unsupported type 'kz.registry.address.graffiti.v1', expected a registry event type")
    }

    @Test("a CloudEvent over any Codable data does no type check")
    func genericData() throws {
        struct Ping: Codable, Sendable, Equatable { let n: Int }
        let event = CloudEvent(id: "1", source: "/test", type: "org.example.ping", time: nil, subject: nil, data: Ping(n: 1))
        let decoded = try decoder.decode(Ping.self, from: encoder.encode(event))
        #expect(decoded == event)
        #expect(decoded.dataContentType == "application/json")
    }

    @Test("encoding is deterministic")
    func deterministic() throws {
        let bytes = try Vectors.data("valid", "registration.accepted.move.json")
        let event = try decoder.decodeEvent(from: bytes)
        #expect(try encoder.encode(event) == encoder.encode(event))
        #expect(try decoder.decodeEvent(from: encoder.encode(event)) == event)
    }

    @Test("every data type's event subject follows docs/architecture.md §4: IIN for persons, RCA for addresses")
    func subjects() throws {
        for name in Vectors.validNames {
            let event = try decoder.decodeEvent(from: Vectors.data("valid", name))
            switch event.eventType {
            case .registrationSubmitted, .registrationAccepted, .addressChanged, .addressCurrent, .registrationRejected:
                #expect(event.data.eventSubject == event.attributes.subject, "\(name)")
            case .addressUpserted, .addressRetired, .occupancyAlert:
                #expect(event.data.eventSubject == event.attributes.subject, "\(name)")
                #expect(RCA(rawValue: event.data.eventSubject ?? "") != nil)
            case .accessLogged, .notificationOutcome, .deadLetter:
                #expect(event.data.eventSubject == nil)
            case .auditCheckpoint:
                #expect(event.data.eventSubject == (event.data as? AuditCheckpoint)?.origin && event.attributes.subject == event.data.eventSubject, "\(name)")
            }
        }
    }

    private func submission(data: String) throws -> CloudEvent<RegistrationSubmitted> {
        let json = #"{"specversion":"1.0","id":"1","source":"/s","type":"kz.registry.registration.submitted.v1","data":"# + data + "}"
        return try decoder.decode(RegistrationSubmitted.self, from: Data(json.utf8))
    }
}
