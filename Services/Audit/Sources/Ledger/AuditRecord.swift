// One audit record: what a message was, in canonical bytes that the hash chain covers.

import Foundation
import Kafka
import RegistrySchema
import ServiceRuntime

/// The audited facts of one message (docs/architecture.md §6: audit integrity).
public struct AuditRecord: Hashable, Sendable, Codable {
    public var topic: String
    public var partition: Int
    public var offset: Int64
    /// The CloudEvent id, when the message is one.
    public var eventId: String?
    /// The CloudEvent type.
    public var type: String?
    /// The CloudEvent time.
    public var time: String?
    /// The IINs and RCAs the message is about.
    public var subjects: [String]
    /// For accesses: who (`sub`, `role`, `org`).
    public var actor: AccessActor?
    /// For accesses: the legal ground.
    public var purpose: String?
    /// For accesses: what was done.
    public var action: String?
    /// The message key and value, base64 (the value is the whole event: for a message in binary
    /// content mode, the structured event its headers and value stand for).
    public var key: String?
    public var value: String?

    /// The record of a consumed message.
    public init(_ message: KafkaConsumerMessage, decoder: RegistryEventDecoder) {
        topic = message.topic
        partition = Int(message.partition)
        offset = message.offset
        key = message.key.map { Data($0).base64EncodedString() }
        let structured = message.structuredValue
        value = structured.map { Data($0).base64EncodedString() }
        subjects = []
        var subjects: [String] = []
        if let value = structured, let event = try? decoder.decodeEvent(from: value) {
            let attributes = event.attributes
            eventId = attributes.id
            type = attributes.type
            time = attributes.time?.description
            if let subject = attributes.subject ?? event.data.eventSubject { subjects.append(subject) }
            switch event {
            case .accessLogged(let access):
                subjects += access.data.subjects
                actor = access.data.actor
                purpose = access.data.purpose
                action = access.data.action
            case .registrationRejected(let rejected):
                if let iin = rejected.data.iin { subjects.append(iin) }
            case .addressChanged(let changed):
                subjects += [changed.data.address?.rca.rawValue, changed.data.previousAddress?.rca.rawValue].compactMap { $0 }
            case .registrationAccepted(let accepted):
                subjects += [accepted.data.address?.rca.rawValue, accepted.data.previousAddress?.rca.rawValue].compactMap { $0 }
            default:
                break
            }
        } else if let key = message.keyString {
            // A tombstone or an unreadable message: the key says whom it concerns.
            subjects.append(key)
        }
        var seen = Set<String>()
        self.subjects = subjects.filter { seen.insert($0).inserted }
    }

    /// The bytes the chain hashes: this record as JSON with sorted keys (and slashes unescaped).
    public func canonicalBytes() throws -> Data {
        try Self.encoder.encode(self)
    }

    private static let encoder = SortedJSONEncoder()
}

extension AuditRecord: JSONObjectFields {
    /// Writes the canonical form (absent optionals omitted), the bytes the log hashes.
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.fieldIfPresent("action", action)
        w.fieldIfPresent("actor", actor)
        w.fieldIfPresent("eventId", eventId)
        w.fieldIfPresent("key", key)
        w.field("offset", offset)
        w.field("partition", partition)
        w.fieldIfPresent("purpose", purpose)
        w.field("subjects", array: subjects)
        w.fieldIfPresent("time", time)
        w.field("topic", topic)
        w.fieldIfPresent("type", type)
        w.fieldIfPresent("value", value)
    }
}
