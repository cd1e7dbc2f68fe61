// POST/GET /v1/subscriptions, GET/DELETE /v1/subscriptions/{id}, …/deliveries, …/replay.

import Foundation
import GRDB
import Hummingbird
import RegistrySchema
import ServiceRuntime

/// The agencies' subscriptions API (DESIGN §5.2). Only agencies with `subscriptions:write`; each
/// sees and manages only its own (its token's `sub`): another agency's subscription answers 404
/// exactly like one that does not exist.
struct SubscriptionRoutes: Sendable {
    let store: ServiceStore
    let newDeliveries: WakeSignal
    /// `WEBHOOK_ALLOW_LOCAL`.
    let allowLocal: Bool

    /// A watch-list of 100,000 IINs is about 1.6 MB of JSON; other bodies stay under 1 MiB.
    static let subscriptionBodyLimit = 4 << 20

    func add(to routes: RouteTable) {
        let agencies = AccessPolicy(.scope(.agency, "subscriptions:write"))
        routes.add(.post, "/v1/subscriptions", policy: agencies) { request, context, caller -> Response in
            let body = try await request.body.collect(upTo: Self.subscriptionBodyLimit)
            let new: NewSubscription
            do {
                new = try JSONDecoder().decode(SubscriptionRequest.self, from: body).validated(allowLocal: allowLocal)
            } catch let error as DecodingError {
                throw Problem.badRequest("The body is not valid: \(error.problemDescription)")
            } catch {
                throw Problem.badRequest("The subscription is not valid: \(error)")
            }
            let agency = caller.principal.subject
            let view = try await store.write { try SubscriptionStore($0).create(new, agency: agency, at: Timestamp(.now)) }
            var answer = try Self.object(view)
            if let issued = new.issuedSecret { answer["secret"] = issued }
            return try JSONAnswer.response(answer, status: .created, headers: [.location: "/v1/subscriptions/\(view.id)"])
        }
        routes.add(.get, "/v1/subscriptions", policy: agencies) { _, _, caller -> Response in
            let agency = caller.principal.subject
            let list = try await store.read { try SubscriptionStore($0).list(agency: agency) }
            return try JSONAnswer.response(["subscriptions": try list.map(Self.object)])
        }
        routes.add(.get, "/v1/subscriptions/:id", policy: agencies) { _, context, caller -> Response in
            let (id, agency) = (try Self.id(context), caller.principal.subject)
            guard let view = try await store.read({ try SubscriptionStore($0).find(id, agency: agency) }) else { throw Self.missing }
            return try JSONAnswer.response(try Self.object(view))
        }
        routes.add(.delete, "/v1/subscriptions/:id", policy: agencies) { _, context, caller -> Response in
            let (id, agency) = (try Self.id(context), caller.principal.subject)
            guard try await store.write({ try SubscriptionStore($0).delete(id, agency: agency) }) else { throw Self.missing }
            return Response(status: .noContent)
        }
        routes.add(.get, "/v1/subscriptions/:id/deliveries", policy: agencies) { request, context, caller -> Response in
            let (id, agency) = (try Self.id(context), caller.principal.subject)
            let query = request.uri.queryParameters
            let status = query.get("status")
            if let status, !["pending", "retrying", "delivered", "dead"].contains(status) {
                throw Problem.badRequest("status must be one of pending, retrying, delivered, dead")
            }
            let cursor = try query.get("cursor").map { text -> Int64 in
                guard let value = Int64(text), value > 0 else { throw Problem.badRequest("cursor must be the `next` value of a previous page.") }
                return value
            }
            let limit = try query.get("limit").map { text -> Int in
                guard let value = Int(text), (1...1000).contains(value) else { throw Problem.badRequest("limit must be a whole number from 1 to 1000.") }
                return value
            } ?? 100
            let page = try await store.read { db -> [DeliveryView]? in
                guard try SubscriptionStore(db).owns(id, agency: agency) else { return nil }
                return try DeliveryView.page(db, subscription: id, status: status, cursor: cursor, limit: limit)
            }
            guard let page else { throw Self.missing }
            let next: Any = page.count == limit ? String(page.last!.id) : NSNull()
            return try JSONAnswer.response(["deliveries": try page.map(Self.object), "next": next])
        }
        routes.add(.post, "/v1/subscriptions/:id/replay", policy: agencies) { request, context, caller -> Response in
            struct Replay: Decodable { var since: String }
            let (id, agency) = (try Self.id(context), caller.principal.subject)
            let replay = try await request.decode(as: Replay.self, context: context)
            guard let since = Timestamp(replay.since) else { throw Problem.badRequest("since must be an RFC 3339 timestamp, e.g. 2026-11-24T00:00:00Z") }
            guard try await store.read({ try SubscriptionStore($0).owns(id, agency: agency) }) else { throw Self.missing }
            // In chunks, each its own transaction, so a long replay does not hold up consumers.
            var queued = 0
            var after: Int64 = 0
            while true {
                let from = after
                let chunk = try await store.write { db in
                    try EventRouter(db).replay(subscription: id, since: since, after: from, now: Timestamp(.now).milliseconds)
                }
                queued += chunk.queued
                newDeliveries.signal()
                guard let last = chunk.lastSeq else { break }
                after = last
            }
            newDeliveries.signal()
            return try JSONAnswer.response(["subscriptionId": id, "since": since.description, "queued": queued], status: .accepted)
        }
    }

    static let missing = Problem.notFound("There is no such subscription of yours.")

    static func id(_ context: RegistryRequestContext) throws -> String {
        guard let id = context.parameters.get("id"), (1...100).contains(id.count) else { throw missing }
        return id
    }

    static func object(_ value: some Encodable) throws -> [String: Any] {
        try JSONAnswer.plain(value) as? [String: Any] ?? [:]
    }
}
