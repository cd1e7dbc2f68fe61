// notification's batch logic: catalog copy, changes, alerts, and (with owner alerts on) the
// registrations that concern owners.

import Crypto
import Foundation
import GRDB
import Kafka
import RegistrySchema
import ServiceRuntime

/// Applies a batch in the engine's transaction: catalog messages update the owners' catalog copy;
/// `address.changed` and `address.occupancy-alert` events are routed to subscriptions; submissions
/// leave their owner's consent and accepted registrations at owned dwellings become owner alerts.
/// Every delivery it queues that carries personal data is recorded as `access.logged` in that same
/// transaction (``QueuedDisclosures``).
struct NotificationProcessor: BatchProcessor {
    let topics: TopicNames
    let source: String
    /// The service name, as `access.logged` reports it.
    let service = NotificationService.descriptor.name
    /// Whether owner alerts are configured.
    let ownerAlerts: Bool
    /// Wakes the delivery engine after each committed batch.
    let newDeliveries: WakeSignal
    /// Which partitions' events this instance delivers (`nil`: every one).
    var ownership: DeliveryOwnership? = nil
    let keeper = CatalogKeeper()
    let decoder = RegistryEventDecoder()
    static let consentKey = Array(#""ownerConsent""#.utf8)

    func apply(_ messages: [KafkaConsumerMessage], in transaction: inout BatchTransaction) throws {
        let now = Timestamp(.now).milliseconds
        var disclosures = QueuedDisclosures()
        for message in messages {
            if let reason = try handle(message, in: transaction.db, now: now, disclosures: &disclosures) { transaction.deadLetter(message, reason: reason) }
        }
        // Every delivery queued here discloses personal data: recorded in the same transaction.
        let accessTopic = topics.name(for: .accessLogged)
        for access in try disclosures.events(in: transaction.db, service: service, at: Timestamp(milliseconds: now)) {
            try transaction.emit(AccessLog.message(access, topic: accessTopic, source: source))
        }
    }

    /// Wakes the delivery engine once the batch's deliveries are committed (it reads only
    /// committed rows).
    func didCommit() {
        newDeliveries.signal()
    }

    /// Applies one message, noting the disclosures of the deliveries it queues.
    /// - Returns: Why it is unusable, if it is (to dead-letter it).
    func handle(_ message: KafkaConsumerMessage, in db: Database, now: Int64, disclosures: inout QueuedDisclosures) throws -> DeadLetterReason? {
        switch message.topic {
        case topics.name(for: .addressCatalog):
            return try keeper.apply(message, to: AddressCatalog(db))
        case topics.name(for: .registrationSubmitted):
            // Intake judges submissions (and dead-letters unreadable ones); only consents matter
            // here, and most submissions carry none: those are not decoded at all. (A key spelled
            // with \u escapes is missed: the owner is then alerted without the newcomer's name.)
            guard let value = message.structuredValue, value.firstRange(of: Self.consentKey) != nil,
                let submitted = try? decoder.decode(RegistrationSubmitted.self, from: value),
                let consent = submitted.data.ownerConsent
            else { return nil }
            try OwnerConsentStore(db).record(source: submitted.source, id: submitted.id, owner: consent.ownerIin, atMilliseconds: now)
            return nil
        default:
            guard let body = message.structuredValue else { return .tombstone(expected: "an event") }
            let event: RegistryEvent
            do { event = try decoder.decodeEvent(from: body) } catch { return .undecodable(error) }
            let router = EventRouter(db)
            let source = EventRouter.Source(topic: message.topic, partition: message.topicPartition.partition, offset: message.offset)
            let deliver = ownership?.delivers(message.topicPartition, offset: message.offset) ?? true
            switch event {
            case .addressChanged(let changed):
                let data = changed.data
                let facts = EventFacts(kind: .change, change: data.change, katos: [data.address?.kato, data.previousAddress?.kato].compactMap { $0 }, iin: data.iin)
                let targets = try router.route(
                    id: changed.id, time: changed.time ?? Timestamp(.now), body: body, facts: facts, orderKey: data.iin.rawValue,
                    trace: EventTracing.trace(of: message, event: changed.trace), source: source, deliver: deliver, now: now)
                for subscription in targets { disclosures.add(.delivery, subscription: subscription, people: [data.iin.rawValue]) }
                return nil
            case .occupancyAlert(let alert):
                let facts = EventFacts(kind: .alert, change: nil, katos: [alert.data.kato], iin: nil)
                // A dwelling and a count, no person: not a disclosure of personal data.
                try router.route(
                    id: alert.id, time: alert.time ?? Timestamp(.now), body: body, facts: facts, orderKey: alert.data.rca.rawValue,
                    trace: EventTracing.trace(of: message, event: alert.trace), source: source, deliver: deliver, now: now)
                return nil
            case .registrationAccepted(let accepted):
                if ownerAlerts {
                    try alertOwners(
                        accepted, trace: EventTracing.trace(of: message, event: accepted.trace), router: router, from: source, deliver: deliver, now: now,
                        disclosures: &disclosures)
                }
                return nil
            default:
                return .misplaced(event.eventType, on: message.topic)
            }
        }
    }

    /// One alert per owner of the dwelling (other than the newcomer), named only to the owner who
    /// consented to this registration. Each discloses the registration to the owner (through the
    /// gateway): the owner and the newcomer are its subjects. The alerts carry the registration's trace.
    func alertOwners(
        _ accepted: CloudEvent<RegistrationAccepted>, trace: EventTrace? = nil, router: EventRouter, from origin: EventRouter.Source? = nil, deliver: Bool = true,
        now: Int64, disclosures: inout QueuedDisclosures
    ) throws {
        let data = accepted.data
        guard data.kind != .deregistration, let address = data.address,
            let entry = try AddressCatalog(router.db).entry(address.rca), !entry.owners.isEmpty
        else { return }
        let consenting = try OwnerConsentStore(router.db).consentingOwner(source: data.submission.source, id: data.submission.id)
        for owner in entry.owners where owner != data.person.iin {
            let newcomer = consenting == owner.rawValue
                ? OwnerAlert.Newcomer(surname: data.person.surname, givenName: data.person.givenName, patronymic: data.person.patronymic) : nil
            let alert = OwnerAlert(owner: owner, address: address, registration: data.kind, validFrom: data.validFrom, validUntil: data.validUntil, newcomer: newcomer)
            // No IIN in ids: they travel into webhook headers and logs.
            let id = "owner-alert-" + SHA256.hash(data: Data("\(accepted.source)/\(accepted.id)/\(owner.rawValue)".utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
            let time = accepted.time ?? Timestamp(.now)
            let event = CloudEvent(id: id, source: source, type: OwnerAlert.eventType, time: time, subject: address.rca.rawValue, data: alert, trace: trace)
            let body = try RegistryEventEncoder().encodeBytes(event)
            // The newcomer is kept as the event's person: a delivery queued later, by an instance
            // that takes the partition over, records them as disclosed too.
            let targets = try router.route(
                id: id, time: time, body: body, facts: EventFacts(kind: .ownerAlert, change: nil, katos: [address.kato], iin: data.person.iin),
                orderKey: owner.rawValue, channel: SubscriptionStore.ownerAlertChannel, trace: trace, source: origin, deliver: deliver, now: now)
            for channel in targets { disclosures.add(.ownerAlert, subscription: channel, people: [owner.rawValue, data.person.iin.rawValue]) }
        }
    }
}
