// The personal data that queued deliveries will disclose, recorded as access.logged events in
// the transaction that queues them.

import Foundation
import GRDB
import Kafka
import RegistrySchema
import ServiceRuntime

/// Deliveries queued in one transaction (a consumed batch, a replay chunk), grouped per
/// subscription and kind, turned into `access.logged` events in that same transaction (docs/architecture.md
/// §5.1): the delivery and its record are committed together or not at all.
///
/// One event per (subscription, kind) per transaction, naming every person disclosed (at most
/// ``subjectsPerEvent`` each): a subscription that follows everyone gets one event per batch,
/// not one per change, and each person still finds it in their trail.
struct QueuedDisclosures {
    /// What kind of disclosure.
    enum Kind: String {
        /// A change delivered to an agency's webhook.
        case delivery = "webhook.delivery"
        /// A change delivered again on an agency's request.
        case replay = "webhook.replay"
        /// An owner alert (the owner, and the newcomer registered at their dwelling).
        case ownerAlert = "owner-alert.delivery"
    }

    private struct Key: Hashable {
        let subscription: String
        let kind: Kind
    }

    /// The most subjects one event names (a longer list is split; the event stays far below the
    /// broker's message size limit).
    static let subjectsPerEvent = 1_000

    /// Who owner alerts are disclosed to: the gateway of `OWNER_ALERT_WEBHOOK_URL`.
    static let ownerAlertGateway = "owner-alert-gateway"
    /// The legal ground of an owner alert.
    static let ownerAlertPurpose = "owner alert: a registration at a dwelling the owner holds"

    private var subjects: [Key: [String]] = [:]
    private var seen: [Key: Set<String>] = [:]
    private var order: [Key] = []

    /// Notes that a delivery of `kind` to `subscription` discloses `people`.
    mutating func add(_ kind: Kind, subscription: String, people: [String]) {
        let key = Key(subscription: subscription, kind: kind)
        if subjects[key] == nil {
            order.append(key)
            subjects[key] = []
        }
        for person in people where seen[key, default: []].insert(person).inserted { subjects[key]!.append(person) }
    }

    var isEmpty: Bool { order.isEmpty }

    /// The `access.logged` events for what was noted.
    /// - Parameters:
    ///   - db: The transaction, to read each subscription's agency and purpose.
    ///   - purpose: Overrides the subscription's purpose (a replay states its own).
    func events(in db: Database, service: String, purpose override: String? = nil, at time: Timestamp) throws -> [AccessLogged] {
        var events: [AccessLogged] = []
        let subscriptions = SubscriptionStore(db)
        for key in order {
            guard let recipient = try subscriptions.recipient(key.subscription) else { continue }
            let actor: AccessActor
            let purpose: String?
            let path: String
            if key.kind == .ownerAlert {
                actor = AccessActor(sub: Self.ownerAlertGateway, role: "gateway", org: recipient.receiver)
                purpose = Self.ownerAlertPurpose
                path = "/owner-alerts"
            } else {
                actor = AccessActor(sub: recipient.agency, role: Role.agency.rawValue, org: recipient.org)
                purpose = override ?? recipient.purpose
                path = "/v1/subscriptions/\(key.subscription)" + (key.kind == .replay ? "/replay" : "")
            }
            let people = subjects[key] ?? []
            for start in stride(from: 0, to: people.count, by: Self.subjectsPerEvent) {
                events.append(AccessLogged(
                    service: service, actor: actor, purpose: purpose, action: key.kind.rawValue,
                    subjects: Array(people[start..<min(start + Self.subjectsPerEvent, people.count)]), method: "POST", path: path, status: 202, at: time))
            }
        }
        return events
    }
}
