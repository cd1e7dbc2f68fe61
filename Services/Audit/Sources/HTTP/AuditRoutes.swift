// GET /v1/audit/subjects/{iin}, /v1/audit/records, /v1/audit/verify, /v1/audit/checkpoints.

import Foundation
import GRDB
import Hummingbird
import RegistrySchema
import ServiceRuntime

/// The audit's queries (DESIGN §5.2). Citizens read their own trail; auditors anything; every
/// read that shows records is itself an access, logged like any other.
struct AuditRoutes: Sendable {
    let store: ServiceStore
    let signer: CheckpointSigner

    /// One entry of a trail: what happened, and for accesses who, why and how. Other people's
    /// identifiers (a batch lookup names many) are not shown in a citizen's trail.
    struct TrailEntry: Encodable {
        let position: Int
        let topic: String
        let type: String?
        let eventId: String?
        let time: String?
        let actor: AccessActor?
        let purpose: String?
        let action: String?
        let subjects: [String]?
    }

    func add(to routes: RouteTable) {
        let trailReaders = AccessPolicy(.selfOnly(.citizen, parameter: "iin"), .role(.auditor))
        routes.add(.get, "/v1/audit/subjects/:iin", policy: trailReaders, disclosing: Disclosure(action: "audit.trail", subjectParameter: "iin")) {
            request, context, _ -> Response in
            guard let text = context.parameters.get("iin"), let iin = IIN(rawValue: text) else { throw Problem.badRequest("The path does not hold a valid IIN.") }
            let query = request.uri.queryParameters
            let (from, to) = (try Self.timeBound("from", query), try Self.timeBound("to", query))
            let entries = try await store.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT r.position, r.record FROM audit_subject s JOIN audit_record r ON r.position = s.position
                    WHERE s.subject = ? AND (? IS NULL OR r.time >= ?) AND (? IS NULL OR r.time < ?) ORDER BY s.position
                    """, arguments: [iin.rawValue, from, from, to, to]).map { try Self.entry($0, withSubjects: false) }
            }
            return try JSONAnswer.response(["iin": iin.rawValue, "records": try JSONAnswer.plain(entries)])
        }
        routes.add(.get, "/v1/audit/records", policy: AccessPolicy(.role(.auditor)), disclosing: Disclosure(action: "audit.records")) {
            request, _, caller -> Response in
            let query = request.uri.queryParameters
            let cursor = try query.get("cursor").map { text -> Int in
                guard let value = Int(text), value >= 0 else { throw Problem.badRequest("cursor must be the `next` value of a previous page.") }
                return value
            } ?? 0
            let (actor, from, to) = (query.get("actor"), try Self.timeBound("from", query), try Self.timeBound("to", query))
            let type = try query.get("type").map { text -> String in
                guard EventType(rawValue: text) != nil else {
                    throw Problem.badRequest("type must be an event type of the registry, e.g. kz.registry.access.logged.v1.")
                }
                return text
            }
            let page = 100
            let entries = try await store.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT position, record FROM audit_record
                    WHERE position > ? AND (? IS NULL OR actor = ?) AND (? IS NULL OR type = ?) AND (? IS NULL OR time >= ?) AND (? IS NULL OR time < ?)
                    ORDER BY position LIMIT ?
                    """, arguments: [cursor, actor, actor, type, type, from, from, to, to, page]).map { try Self.entry($0, withSubjects: true) }
            }
            caller.disclose(entries.flatMap { $0.subjects ?? [] })
            let next: Any = entries.count == page ? String(entries.last!.position) : NSNull()
            return try JSONAnswer.response(["records": try JSONAnswer.plain(entries), "next": next])
        }
        routes.add(.get, "/v1/audit/verify", policy: AccessPolicy(.role(.auditor), .role(.operator))) { _, _, _ -> Response in
            let result = try await store.read { try AuditLedger($0).verify() }
            var body: [String: Any] = ["valid": result.valid, "records": result.records, "head": result.head]
            if let broken = result.firstBroken { body["firstBroken"] = broken }
            return try JSONAnswer.response(body)
        }
        routes.add(.get, "/v1/audit/checkpoints") { _, _ -> Response in
            let checkpoints = try await store.read { db in
                try Row.fetchAll(db, sql: "SELECT records, head, at, signature FROM audit_checkpoint ORDER BY records").map {
                    Checkpoint(records: $0["records"], head: $0["head"], at: $0["at"], signature: $0["signature"])
                }
            }
            return try JSONAnswer.response(["key": signer.publicJWK, "checkpoints": try JSONAnswer.plain(checkpoints)])
        }
    }

    /// A `from`/`to` query value: an RFC 3339 timestamp or a date (compared with the records'
    /// RFC 3339 times); anything else is a 400.
    static func timeBound(_ name: String, _ query: Parameters) throws -> String? {
        guard let text = query.get(name) else { return nil }
        guard Timestamp(text) != nil || CalendarDate(text) != nil else {
            throw Problem.badRequest("\(name) must be an RFC 3339 timestamp (2026-11-25T09:00:00Z) or a date (2026-11-25).")
        }
        return text
    }

    static func entry(_ row: Row, withSubjects: Bool) throws -> TrailEntry {
        let record = try JSONDecoder().decode(AuditRecord.self, from: row["record"] as Data)
        return TrailEntry(
            position: row["position"], topic: record.topic, type: record.type, eventId: record.eventId, time: record.time, actor: record.actor,
            purpose: record.purpose, action: record.action, subjects: withSubjects ? record.subjects : nil)
    }
}
