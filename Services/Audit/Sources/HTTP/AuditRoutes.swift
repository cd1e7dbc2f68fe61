// The audit's routes: trails and record pages, entries, proofs, checkpoints, verification.

import Foundation
import Hummingbird
import RegistrySchema
import ServiceRuntime

/// The audit's queries (docs/architecture.md §5.2). Citizens read their own trail and the entries that name
/// them; auditors anything; every read that shows records is itself an access, logged like any
/// other. Proofs, checkpoints and the verifier key carry hashes only and need no token.
struct AuditRoutes: Sendable {
    let store: AuditStore
    let verifier: NoteVerifierKey

    /// Records per page of a trail or of `/v1/audit/records`.
    static let pageSize = 100
    /// Checkpoints per page.
    static let checkpointPageSize = 100
    /// A leaf's index in the log (`:index`).
    static let leafIndex = PathParameter<Int>("index", invalid: .badRequest("The path must hold a leaf index (a whole number from 0).")) {
        Int($0).flatMap { $0 >= 0 ? $0 : nil }
    }

    /// One entry of a trail: its leaf index, what happened, and for accesses who, why and how.
    /// Other people's identifiers (a batch lookup names many) are not shown in a citizen's trail.
    struct TrailEntry: Encodable {
        let index: Int
        let topic: String
        let type: String?
        let eventId: String?
        let time: String?
        let actor: AccessActor?
        let purpose: String?
        let action: String?
        let subjects: [String]?

        init(_ entry: AuditStore.Entry, withSubjects: Bool) {
            let record = entry.record
            (index, topic, type, eventId, time) = (entry.index, record.topic, record.type, record.eventId, record.time)
            (actor, purpose, action, subjects) = (record.actor, record.purpose, record.action, withSubjects ? record.subjects : nil)
        }
    }

    func add(to routes: RouteTable) {
        let trailReaders = AccessPolicy(.selfOnly(.citizen, parameter: .iin), .role(.auditor))
        routes.add(.get, "/v1/audit/subjects/:iin", policy: trailReaders, disclosing: Disclosure(action: "audit.trail", subject: .iin)) {
            request, context, _ -> Response in
            let iin = try PathParameter.iin.value(in: context)
            let query = request.uri.queryParameters
            let (from, to, cursor) = (try Self.timeBound("from", query), try Self.timeBound("to", query), try Self.cursor(query))
            let entries = try await store.trail(subject: iin.rawValue, from: from, to: to, after: cursor, limit: Self.pageSize)
            return try JSONAnswer.response([
                "iin": iin.rawValue, "records": try JSONAnswer.plain(entries.map { TrailEntry($0, withSubjects: false) }),
                "next": Self.next(entries.map(\.index), pageSize: Self.pageSize),
            ])
        }
        routes.add(.get, "/v1/audit/records", policy: AccessPolicy(.role(.auditor)), disclosing: Disclosure(action: "audit.records")) {
            request, _, caller -> Response in
            let query = request.uri.queryParameters
            let (actor, from, to, cursor) = (query.get("actor"), try Self.timeBound("from", query), try Self.timeBound("to", query), try Self.cursor(query))
            let type = try query.get("type").map { text -> String in
                guard EventType(rawValue: text) != nil else {
                    throw Problem.badRequest("type must be an event type of the registry, e.g. kz.registry.access.logged.v1.")
                }
                return text
            }
            let entries = try await store.records(actor: actor, type: type, from: from, to: to, after: cursor, limit: Self.pageSize)
            caller.disclose(entries.flatMap(\.record.subjects))
            return try JSONAnswer.response([
                "records": try JSONAnswer.plain(entries.map { TrailEntry($0, withSubjects: true) }),
                "next": Self.next(entries.map(\.index), pageSize: Self.pageSize),
            ])
        }
        routes.add(
            .get, "/v1/audit/entries/:index", policy: AccessPolicy(.role(.auditor), .role(.citizen)), disclosing: Disclosure(action: "audit.entry")
        ) { _, context, caller -> Response in
            let index = try Self.leafIndex.value(in: context)
            guard let entry = try await store.entry(index) else {
                throw Problem.notFound("The log has no entry \(index) yet.")
            }
            // A citizen reads the entries that name them, and nothing tells them whether others exist.
            if caller.principal.role == .citizen, !entry.record.subjects.contains(caller.principal.subject) { throw Problem.forbidden }
            caller.disclose(entry.record.subjects)
            return try JSONAnswer.response([
                "index": entry.index, "leaf": entry.leaf.base64EncodedString(),
                "record": try JSONSerialization.jsonObject(with: entry.leaf),
            ])
        }
        routes.add(.get, "/v1/audit/proof/inclusion") { request, _ -> Response in
            let query = request.uri.queryParameters
            let (index, size) = (try Self.integer("index", query), try Self.integer("size", query))
            let hashes = try await Self.proof { try await store.inclusionProof(index: index, size: size) }
            return try JSONAnswer.response(["index": index, "size": size, "hashes": hashes.map { $0.base64EncodedString() }])
        }
        routes.add(.get, "/v1/audit/proof/consistency") { request, _ -> Response in
            let query = request.uri.queryParameters
            let (from, to) = (try Self.integer("from", query), try Self.integer("to", query))
            let hashes = try await Self.proof { try await store.consistencyProof(from: from, to: to) }
            return try JSONAnswer.response(["from": from, "to": to, "hashes": hashes.map { $0.base64EncodedString() }])
        }
        routes.add(.get, "/v1/audit/checkpoint") { _, _ -> Response in
            guard let latest = try await store.latestPublishedCheckpoint() else {
                throw Problem.notFound("No checkpoint has been published yet: the log is empty or its first checkpoint is on its way to the broker.")
            }
            return Self.text(latest.note)
        }
        routes.add(.get, "/v1/audit/checkpoint/verifier") { _, _ -> Response in
            Self.text(verifier.description + "\n")
        }
        routes.add(.get, "/v1/audit/checkpoints") { request, _ -> Response in
            let cursor = try Self.cursor(request.uri.queryParameters)
            let page = try await store.publishedCheckpoints(after: cursor, limit: Self.checkpointPageSize)
            return try JSONAnswer.response([
                "verifier": verifier.description,
                "checkpoints": page.map { ["size": $0.size, "rootHash": $0.root.base64EncodedString(), "note": $0.note, "at": $0.at] as [String: Any] },
                "next": Self.next(page.map(\.size), pageSize: Self.checkpointPageSize),
            ])
        }
        routes.add(.get, "/v1/audit/verify", policy: AccessPolicy(.role(.auditor), .role(.operator))) { _, _, _ -> Response in
            let result = try await store.verify(verifier: verifier)
            var body: [String: Any] = [
                "valid": result.valid, "records": result.records, "head": result.root,
                "checkpoints": result.checkpoints, "chainCheckpoints": result.chainCheckpoints,
            ]
            if let bad = result.firstBad { body["firstBad"] = bad }
            if !result.problems.isEmpty { body["problems"] = result.problems }
            return try JSONAnswer.response(body)
        }
    }

    /// A `text/plain` answer.
    static func text(_ body: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// Runs a proof, turning a request beyond the tree into a 400.
    static func proof(_ make: () async throws -> [Data]) async throws -> [Data] {
        do {
            return try await make()
        } catch let beyond as AuditStore.BeyondTheTree {
            throw Problem.badRequest(beyond.description + ".")
        }
    }

    /// The `next` cursor of a page: its last key when the page is full, else null.
    static func next(_ keys: [Int], pageSize: Int) -> Any {
        keys.count == pageSize ? String(keys.last!) : NSNull()
    }

    /// A required whole-number query parameter (0 or more); 400 otherwise.
    static func integer(_ name: String, _ query: Parameters) throws -> Int {
        guard let text = query.get(name) else { throw Problem.badRequest("The query needs \(name) (a whole number from 0).") }
        guard let value = Int(text), value >= 0 else { throw Problem.badRequest("\(name) must be a whole number from 0, not '\(text)'.") }
        return value
    }

    /// The optional `cursor`: the `next` value of a previous page.
    static func cursor(_ query: Parameters) throws -> Int? {
        try query.get("cursor").map { text in
            guard let value = Int(text), value >= 0 else { throw Problem.badRequest("cursor must be the `next` value of a previous page.") }
            return value
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
}
