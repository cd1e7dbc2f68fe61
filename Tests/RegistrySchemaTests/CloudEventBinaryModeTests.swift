// Binary content mode as the SDKs send it, and the distributed-tracing attributes.

import Foundation
import RegistrySchema
import Testing
import TestSupport

@Suite("CloudEvents binary content mode and trace context")
struct CloudEventBinaryModeTests {
    let decoder = RegistryEventDecoder()
    let slowDecoder = RegistryEventDecoder(readsFast: false)
    let encoder = RegistryEventEncoder()
    static let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    static let data = #"{"kind":"permanent","person":{"iin":"860101300126","surname":"Ахметов","givenName":"Арман","birthDate":"1986-01-01"},"rca":"1000000000001","validFrom":"2026-11-24"}"#
    static let attributes = CloudEventsSDKShapes.Attributes(
        id: "5b0f2d3e-6c1a-4c8e-9a55-0d4f7e2b9a10", source: "/egov/portal", type: EventType.registrationSubmitted.rawValue,
        subject: "860101300126", time: CloudEventsSDKShapes.javaTime, traceparent: traceparent, tracestate: "rojo=00f067aa0ba902b7")

    func structured(_ headers: [(name: String, value: String)], prefix: String = CloudEventBinaryMode.kafkaPrefix, data: String = data) -> [UInt8] {
        #expect(CloudEventBinaryMode.isBinary(headers: headers, prefix: prefix))
        return CloudEventBinaryMode.structuredJSON(headers: headers, prefix: prefix, data: Array(data.utf8))
    }

    @Test("a Java SDK Kafka message (ce_ headers, offset time with microseconds) reads as the event it is")
    func javaKafka() throws {
        let bytes = structured(CloudEventsSDKShapes.javaKafka(Self.attributes))
        for decoder in [decoder, slowDecoder] {
            let event = try decoder.decode(RegistrationSubmitted.self, from: bytes)
            #expect(event.id == Self.attributes.id && event.source == "/egov/portal" && event.subject == "860101300126")
            #expect(event.time == Timestamp("2026-11-24T10:15:30.123456Z"))
            #expect(event.dataContentType == "application/json")
            #expect(event.trace == EventTrace(traceparent: Self.traceparent, tracestate: "rojo=00f067aa0ba902b7"))
            #expect(event.data.person.surname == "Ахметов")
        }
        // The data is kept byte for byte, and the document has sorted keys.
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix(#"{"data":"# + Self.data + #","datacontenttype":"application/json","id":""#))
        #expect(text.hasSuffix(#""traceparent":"\#(Self.traceparent)","tracestate":"rojo=00f067aa0ba902b7","type":"kz.registry.registration.submitted.v1"}"#))
    }

    @Test("a Go SDK Kafka message (UTC nanosecond time) reads the same")
    func goKafka() throws {
        var attributes = Self.attributes
        attributes.time = "2026-11-24T10:15:30.123456789Z"
        let event = try decoder.decode(RegistrationSubmitted.self, from: structured(CloudEventsSDKShapes.goKafka(attributes)))
        #expect(event.time == Timestamp(secondsSince1970: Timestamp("2026-11-24T10:15:30Z")!.secondsSince1970, nanoseconds: 123_456_789))
        #expect(event.trace?.traceparent == Self.traceparent)
    }

    @Test("over HTTP, ce- headers in any case: Go's canonical Ce-Id and Java's ce-id")
    func http() throws {
        for headers in [CloudEventsSDKShapes.goHTTP(Self.attributes), CloudEventsSDKShapes.javaHTTP(Self.attributes)] {
            let event = try decoder.decode(RegistrationSubmitted.self, from: structured(headers, prefix: CloudEventBinaryMode.httpPrefix))
            #expect(event.id == Self.attributes.id && event.trace?.traceparent == Self.traceparent && event.dataContentType == "application/json")
        }
        #expect(CloudEventsSDKShapes.goHTTP(Self.attributes).map(\.name).prefix(2) == ["Ce-Specversion", "Ce-Id"])
    }

    @Test("HTTP header values are percent-decoded; what is not an escape stays")
    func percentDecoding() {
        #expect(CloudEventBinaryMode.percentDecoded("%2Fegov%2Fportal") == "/egov/portal")
        #expect(CloudEventBinaryMode.percentDecoded("Ахметов") == "Ахметов")
        #expect(CloudEventBinaryMode.percentDecoded("%D0%90%D1%85") == "Ах")
        #expect(CloudEventBinaryMode.percentDecoded("100%") == "100%")
        #expect(CloudEventBinaryMode.percentDecoded("%zz1") == "%zz1")
        #expect(CloudEventBinaryMode.percentDecoded("%FF") == "%FF", "bytes that are not UTF-8 leave the value as it was")
    }

    @Test("structured mode stays structured: an application/cloudevents content type, or no ce_specversion")
    func modeDetection() {
        let structuredHeaders: [(name: String, value: String)] = [("content-type", "application/cloudevents+json; charset=utf-8"), ("ce_specversion", "1.0")]
        #expect(!CloudEventBinaryMode.isBinary(headers: structuredHeaders, prefix: CloudEventBinaryMode.kafkaPrefix))
        #expect(!CloudEventBinaryMode.isBinary(headers: [("Content-Type", "application/json")], prefix: CloudEventBinaryMode.httpPrefix))
        #expect(!CloudEventBinaryMode.isBinary(headers: [(name: String, value: String)](), prefix: CloudEventBinaryMode.kafkaPrefix))
        #expect(CloudEventBinaryMode.isBinary(headers: [("CE_SPECVERSION", "1.0")], prefix: CloudEventBinaryMode.kafkaPrefix))
    }

    @Test("data that is not JSON is carried as text (or base64) and refused as malformed, with the id still readable")
    func notJSON() throws {
        let text = structured(CloudEventsSDKShapes.javaKafka(Self.attributes), data: "kind=permanent")
        let error = #expect(throws: EnvelopeError.self) { try decoder.decode(RegistrationSubmitted.self, from: text) }
        #expect(error?.rejectionCode == .malformed && error?.field == "data")
        #expect(decoder.submissionReference(from: text) == SubmissionReference(source: "/egov/portal", id: Self.attributes.id))
        let binary = CloudEventBinaryMode.structuredJSON(headers: CloudEventsSDKShapes.javaKafka(Self.attributes), prefix: "ce_", data: [0xFF, 0x00, 0x7B])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(binary)) as? [String: Any])
        #expect(object["data_base64"] as? String == "/wB7" && object["data"] == nil)
    }

    @Test("only CloudEvents attribute names become attributes; data cannot be smuggled in through a header")
    func attributeNames() throws {
        let headers = CloudEventsSDKShapes.javaKafka(Self.attributes) + [("ce_data", "{}"), ("ce_Bad-Name", "x"), ("ce_partitionkey", "860101300126"), ("x-other", "y")]
        let object = try #require(try JSONSerialization.jsonObject(with: Data(structured(headers))) as? [String: Any])
        #expect(object["partitionkey"] as? String == "860101300126")
        #expect(object["bad-name"] == nil && object["x-other"] == nil)
        #expect((object["data"] as? [String: Any])?["kind"] as? String == "permanent")
    }

    @Test("traceparent and tracestate are written in sorted place, identically by both encoders, and read by both decoders")
    func traceAttributes() throws {
        let retired = AddressRetired(rca: RCA(rawValue: "1000000000001")!)
        let event = CloudEvent(id: "1", source: "/s", time: Timestamp("2026-11-24T10:15:30Z")!, data: retired, trace: EventTrace(traceparent: Self.traceparent, tracestate: "a=b"))
        let fast = try encoder.encodeBytes(event)
        let foundation = try RegistryEventEncoder.makeJSONEncoder().encode(event)
        #expect(fast == [UInt8](foundation))
        #expect(String(decoding: fast, as: UTF8.self).contains(#""time":"2026-11-24T10:15:30Z","traceparent":"\#(Self.traceparent)","tracestate":"a=b","type""#))
        #expect(try decoder.decode(AddressRetired.self, from: fast) == event)
        #expect(try slowDecoder.decode(AddressRetired.self, from: fast) == event)
        // Without a trace nothing is added.
        var untraced = event
        untraced.trace = nil
        #expect(!String(decoding: try encoder.encodeBytes(untraced), as: UTF8.self).contains("trace"))
    }

    @Test("a traceparent that is not a string is ignored like any unknown attribute; a tracestate alone is no trace")
    func lenientTrace() throws {
        let number = #"{"specversion":"1.0","id":"1","source":"/s","type":"kz.registry.address.retired.v1","traceparent":42,"data":{"rca":"1"}}"#
        let event = try decoder.decode(AddressRetired.self, from: Data(number.utf8))
        #expect(event.trace == nil)
        let stateOnly = #"{"specversion":"1.0","id":"1","source":"/s","type":"kz.registry.address.retired.v1","tracestate":"a=b","data":{"rca":"1"}}"#
        #expect(try decoder.decode(AddressRetired.self, from: Data(stateOnly.utf8)).trace == nil)
        #expect(try decoder.decodeAttributes(from: Data(stateOnly.utf8)).trace == nil)
    }
}
