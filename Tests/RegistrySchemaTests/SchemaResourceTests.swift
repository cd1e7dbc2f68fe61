// The JSON Schema resources: present, well-formed, and naming the same fields as the Swift types.

import Foundation
import RegistrySchema
import Testing

@Suite("JSON Schema resources")
struct SchemaResourceTests {
    @Test("there is one schema per event type, plus the envelope's")
    func inventory() throws {
        #expect(RegistrySchemas.allTypeNames == EventType.allCases.map(\.rawValue).sorted())
        #expect(RegistrySchemas.envelopeSchema != nil)
        for type in EventType.allCases {
            #expect(RegistrySchemas.schema(for: type) != nil, "\(type.schemaResourceName)")
            #expect(type.schemaResourceName == type.rawValue + ".json")
        }
        #expect(RegistrySchemas.schema(for: "kz.registry.unknown.v1") == nil)
        #expect(RegistrySchemas.schema(for: "../Schemas/cloudevent") == nil)
        #expect(RegistrySchemas.schema(for: "") == nil)
    }

    @Test("each schema is draft 2020-12 with an id, and its required fields are properties", arguments: EventType.allCases)
    func wellFormed(type: EventType) throws {
        let schema = try JSONValue(parsing: #require(RegistrySchemas.schema(for: type)))
        #expect(schema["$schema"] == .string("https://json-schema.org/draft/2020-12/schema"))
        #expect(schema["$id"] == .string("urn:kz-registry:schema:\(type.rawValue)"))
        #expect(schema["additionalProperties"] == nil, "forward compatibility: extra fields allowed")
        guard case .array(let required)? = schema["required"] else {
            Issue.record("no required list")
            return
        }
        let properties = schema["properties"]?.objectKeys ?? []
        for case .string(let name) in required {
            #expect(properties.contains(name), "\(name)")
        }
    }

    @Test("a schema names exactly the fields the Swift type writes", arguments: EventType.allCases)
    func sameFieldsAsSwift(type: EventType) throws {
        let schema = try JSONValue(parsing: #require(RegistrySchemas.schema(for: type)))
        let decoder = RegistryEventDecoder()
        let encoder = RegistryEventEncoder()
        var written = Set<String>()
        for name in Vectors.validNames {
            let bytes = try Vectors.data("valid", name)
            guard try decoder.decodeAttributes(from: bytes).eventType == type else { continue }
            let reencoded = try JSONValue(parsing: encoder.encode(decoder.decodeEvent(from: bytes)))
            written.formUnion(reencoded["data"]?.objectKeys ?? [])
        }
        #expect(written == schema["properties"]?.objectKeys)
    }

    @Test("identifier and date patterns are the contract's")
    func patterns() throws {
        let submitted = try JSONValue(parsing: #require(RegistrySchemas.schema(for: .registrationSubmitted)))
        let defs = try #require(submitted["$defs"])
        #expect(defs["iin"]?["pattern"] == .string("^[0-9]{12}$"))
        #expect(defs["rca"]?["pattern"] == .string("^[0-9]{1,32}$"))
        #expect(defs["date"]?["pattern"] == .string(#"^\d{4}-\d{2}-\d{2}$"#))
        #expect(submitted["properties"]?["kind"]?["enum"] == .array(RegistrationKind.allCases.map { .string($0.rawValue) }))
        let upserted = try JSONValue(parsing: #require(RegistrySchemas.schema(for: .addressUpserted)))
        #expect(upserted["$defs"]?["kato"]?["pattern"] == .string("^[0-9]{9}$"))
        let rejected = try JSONValue(parsing: #require(RegistrySchemas.schema(for: .registrationRejected)))
        #expect(rejected["properties"]?["reasons"]?["items"]?["properties"]?["code"]?["enum"]
            == .array(RejectionCode.allCases.map { .string($0.rawValue) }))
        let envelope = try JSONValue(parsing: #require(RegistrySchemas.envelopeSchema))
        #expect(envelope["properties"]?["specversion"]?["const"] == .string("1.0"))
    }

    @Test("the submission schema states the per-kind rules of docs/architecture.md §4.3 with if/then")
    func perKindRules() throws {
        let submitted = try JSONValue(parsing: #require(RegistrySchemas.schema(for: .registrationSubmitted)))
        guard case .array(let rules)? = submitted["allOf"] else {
            Issue.record("no allOf")
            return
        }
        var requiredByKind: [String: JSONValue] = [:]
        for rule in rules {
            if case .string(let kind)? = rule["if"]?["properties"]?["kind"]?["const"] {
                requiredByKind[kind] = rule["then"]?["required"]
            }
        }
        #expect(requiredByKind["permanent"] == .array([.string("rca"), .string("validFrom")]))
        #expect(requiredByKind["temporary"] == .array([.string("rca"), .string("validFrom"), .string("validUntil")]))
        #expect(requiredByKind["deregistration"] == .array([.string("validFrom")]))
    }
}
