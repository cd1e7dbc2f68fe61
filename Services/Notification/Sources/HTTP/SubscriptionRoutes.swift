// POST/GET /v1/subscriptions, GET/DELETE /v1/subscriptions/{id}, …/deliveries, …/replay.

import Foundation
import GRDB
import Hummingbird
import RegistrySchema
import ServiceRuntime

/// The agencies' subscriptions API (docs/architecture.md §5.2). Only agencies with `subscriptions:write` and
/// `address:read` (a subscription is an address feed: it is a read); each sees and manages only
/// its own (its token's `sub`): another agency's subscription answers 404 exactly like one that
/// does not exist. ``SubscriptionLimits`` bound what one agency can subscribe to and replay.
struct SubscriptionRoutes: Sendable {
    let store: ServiceStore
    let newDeliveries: WakeSignal
    /// `WEBHOOK_ALLOW_LOCAL`.
    let allowLocal: Bool
    let limits: SubscriptionLimits
    /// Where replays' `access.logged` events go (written with the deliveries they queue).
    let relay: OutboxRelay
    let accessTopic: String
    let source: String
    /// Where subscriptions are replicated to the other instances.
    let topics: TopicNames
    /// Which partitions' events this instance delivers (`nil`: all).
    let ownership: DeliveryOwnership?

    /// A watch-list of 100,000 IINs is about 1.6 MB of JSON; other bodies stay under 1 MiB.
    static let subscriptionBodyLimit = 4 << 20

    func add(to routes: RouteTable) {
        let agencies = AccessPolicy(.scopes(.agency, [.subscriptionsWrite, .addressRead]))
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
            let (agency, org, purpose) = (caller.principal.subject, caller.principal.organisation, caller.purpose)
            let limits = self.limits
            let view = try await store.write { db in
                let subscriptions = SubscriptionStore(db)
                let used = try subscriptions.usage(agency: agency)
                guard used.subscriptions < limits.subscriptions else {
                    throw Problem(
                        .tooManyRequests,
                        detail: "This agency has \(used.subscriptions) subscriptions, the most it may have (SUBSCRIPTIONS_PER_AGENCY); delete one it no longer needs first.")
                }
                let watching = new.filter.iins.map { Set($0).count } ?? 0
                guard used.watchedIINs + watching <= limits.watchedIINs else {
                    throw Problem(
                        .tooManyRequests,
                        detail: "This agency's watch-lists hold \(used.watchedIINs) IINs; \(watching) more would pass the \(limits.watchedIINs) it may watch (WATCHED_IINS_PER_AGENCY).")
                }
                let view = try subscriptions.create(new, agency: agency, org: org, purpose: purpose, at: Timestamp(.now))
                try Outbox.append(try SubscriptionChangelog.message(subscription: view.id, in: db, topics: topics), in: db)
                return view
            }
            relay.wake()
            var answer = try Self.object(view)
            if let issued = new.issuedSecret { answer["secret"] = issued }
            return try JSONAnswer.response(answer, status: .created, headers: [.location: "/v1/subscriptions/\(view.id)"])
        }
        routes.add(.get, "/v1/subscriptions", policy: agencies) { _, _, caller -> Response in
            let agency = caller.principal.subject
            let list = try await store.read { try SubscriptionStore($0).list(agency: agency) }
            return try JSONAnswer.response(["subscriptions": try list.map(Self.object)])
        }
        // The watch-list is a list of people: reading it back is a disclosure like any lookup.
        routes.add(.get, "/v1/subscriptions/:id", policy: agencies, disclosing: Disclosure(action: "subscription.read")) { _, context, caller -> Response in
            let (id, agency) = (try Self.subscriptionID.value(in: context), caller.principal.subject)
            guard let view = try await store.read({ try SubscriptionStore($0).find(id, agency: agency) }) else { throw Self.missing }
            caller.disclose((view.filter.iins ?? []).map(\.rawValue))
            return try JSONAnswer.response(try Self.object(view))
        }
        routes.add(.delete, "/v1/subscriptions/:id", policy: agencies) { _, context, caller -> Response in
            let (id, agency) = (try Self.subscriptionID.value(in: context), caller.principal.subject)
            let topics = self.topics
            let deleted = try await store.write { db in
                guard try SubscriptionStore(db).delete(id, agency: agency) else { return false }
                try Outbox.append(try SubscriptionChangelog.message(subscription: id, in: db, topics: topics), in: db)
                return true
            }
            guard deleted else { throw Self.missing }
            relay.wake()
            return Response(status: .noContent)
        }
        routes.add(.get, "/v1/subscriptions/:id/deliveries", policy: agencies) { request, context, caller -> Response in
            let (id, agency) = (try Self.subscriptionID.value(in: context), caller.principal.subject)
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
            let (id, agency) = (try Self.subscriptionID.value(in: context), caller.principal.subject)
            let replay = try await request.decode(as: Replay.self, context: context)
            guard let since = Timestamp(replay.since) else { throw Problem.badRequest("since must be an RFC 3339 timestamp, e.g. 2026-11-24T00:00:00Z") }
            try await admitReplay(of: id, agency: agency, since: since, now: Timestamp(.now).milliseconds)
            // In chunks, each its own transaction, so a long replay does not hold up consumers. Each
            // records what it queued for delivery in the same transaction, under this request's purpose.
            var queued = 0
            var after: Int64 = 0
            let (purpose, accessTopic, source, ownership) = (caller.purpose, self.accessTopic, self.source, self.ownership)
            while true {
                let from = after
                let chunk = try await store.write { db in
                    let now = Timestamp(.now)
                    let owned = ownership.map { ownership in { (topic: String, partition: Int32) in ownership.owns(topic: topic, partition: partition) } }
                    let chunk = try EventRouter(db).replay(subscription: id, since: since, after: from, owned: owned, now: now.milliseconds)
                    var disclosures = QueuedDisclosures()
                    if !chunk.people.isEmpty { disclosures.add(.replay, subscription: id, people: chunk.people) }
                    for access in try disclosures.events(in: db, service: NotificationService.descriptor.name, purpose: purpose, at: now) {
                        try Outbox.append(try AccessLog.message(access, topic: accessTopic, source: source), in: db)
                    }
                    return chunk
                }
                if !chunk.people.isEmpty { relay.wake() }
                queued += chunk.queued + chunk.elsewhere
                newDeliveries.signal()
                guard let last = chunk.lastSeq else { break }
                after = last
            }
            // The other instances queue the partitions they own.
            let request = SubscriptionChangelog.ReplayRequest(
                subscription: id, sinceMs: since.milliseconds, purpose: purpose, requestedMs: Timestamp(.now).milliseconds, origin: SubscriptionChangelog.instance)
            let topics = self.topics
            try await store.write { db in try Outbox.append(try SubscriptionChangelog.message(replay: request, topics: topics), in: db) }
            relay.wake()
            newDeliveries.signal()
            return try JSONAnswer.response(["subscriptionId": id, "since": since.description, "queued": queued], status: .accepted)
        }
    }

    /// Checks, in this order, that `agency` owns subscription `id` (404: another agency's looks
    /// missing), that `since` is within `REPLAY_MAX_SPAN` (400) and that the agency has a replay
    /// left this hour (429), and counts this one. The hour is a sliding window: `Retry-After`
    /// says when the oldest replay in it leaves it.
    private func admitReplay(of id: String, agency: String, since: Timestamp, now: Int64) async throws {
        let (perHour, span) = (limits.replaysPerHour, limits.replaySpan)
        try await store.write { db in
            guard try SubscriptionStore(db).owns(id, agency: agency) else { throw Self.missing }
            guard since.milliseconds >= now - span.milliseconds else {
                throw Problem.badRequest(
                    "since reaches further back than a replay may (REPLAY_MAX_SPAN, \(EnvironmentReader.describe(span))): replay from \(Timestamp(milliseconds: now - span.milliseconds)) or later.")
            }
            let hourAgo = now - 3_600_000
            let recent = try SubscriptionStore(db).replays(agency: agency, since: hourAgo)
            if recent.count >= perHour {
                let wait = max(1, (recent[recent.count - perHour] - hourAgo + 999) / 1000)
                throw Problem(
                    .tooManyRequests,
                    detail: "This agency has asked for \(recent.count) replays in the last hour, the most it may (REPLAYS_PER_HOUR); retry after \(wait) s.",
                    headers: [.retryAfter: "\(wait)"])
            }
            try SubscriptionStore(db).recordReplay(agency: agency, at: now)
        }
    }

    static let missing = Problem.notFound("There is no such subscription of yours.")

    /// A subscription's id (`:id`); one that cannot be an id is answered as one of another agency.
    static let subscriptionID = PathParameter<String>("id", invalid: missing) { (1...100).contains($0.count) ? $0 : nil }

    static func object(_ value: some Encodable) throws -> [String: Any] {
        try JSONAnswer.plain(value) as? [String: Any] ?? [:]
    }
}
