// The notification service: identity, configuration, store, consumers, routes and delivery.

import Foundation
import GRDB
import RegistrySchema
import ServiceRuntime

/// The `notification` service (docs/architecture.md §2, §5.2).
public enum NotificationService: RegistryService {
    static let retrySchedule = ConfigurationVariable(
        "WEBHOOK_RETRY_SCHEDULE", default: "5s,30s,2m,10m,30m,1h,3h", "Pauses before the 2nd, 3rd, … attempt of a failed webhook (units ms, s, m, h, d).")
    static let retryRepeat = ConfigurationVariable(
        "WEBHOOK_RETRY_REPEAT", default: "6h", "The pause after the listed ones, repeated until WEBHOOK_RETRY_GIVE_UP.")
    static let retryGiveUp = ConfigurationVariable(
        "WEBHOOK_RETRY_GIVE_UP", default: "3d", "No attempt later than this after the first; then the delivery is dead.")
    static let timeout = ConfigurationVariable("WEBHOOK_TIMEOUT", default: "10s", "Longest wait for a receiver's answer to one attempt.")
    static let concurrency = ConfigurationVariable("WEBHOOK_CONCURRENCY", default: "64", "Attempts in flight at once (sent, or answered and being recorded), over all receivers.")
    static let receiverConcurrency = ConfigurationVariable(
        "WEBHOOK_RECEIVER_CONCURRENCY", default: "4", "Requests awaiting an answer at once from one receiver (host:port).")
    static let allowLocal = ConfigurationVariable(
        "WEBHOOK_ALLOW_LOCAL", default: "false",
        "true accepts http:// and loopback, private and link-local addresses as webhook URLs (development; make run sets it).")
    static let retention = ConfigurationVariable(
        "NOTIFICATION_RETENTION", default: "30d", "How long routed events and finished deliveries are kept (replay reaches this far back).")
    static let ownerAlertURL = ConfigurationVariable(
        "OWNER_ALERT_WEBHOOK_URL", default: "", "Where owner alerts go (an SMS/e-mail gateway); empty: no owner alerts.")
    static let subscriptionsPerAgency = ConfigurationVariable(
        "SUBSCRIPTIONS_PER_AGENCY", default: "20", "Live subscriptions one agency may have; one more is answered 429.")
    static let watchedIINsPerAgency = ConfigurationVariable(
        "WATCHED_IINS_PER_AGENCY", default: "200000", "IINs over all of one agency's watch-lists; a subscription that would pass it is answered 429.")
    static let replayMaxSpan = ConfigurationVariable(
        "REPLAY_MAX_SPAN", default: "7d", "How far back a replay's since may reach (further: 400).")
    static let replaysPerHour = ConfigurationVariable(
        "REPLAYS_PER_HOUR", default: "6", "Replays one agency may ask for in any hour (more: 429 with Retry-After).")
    static let ownerAlertSecret = ConfigurationVariable(
        "OWNER_ALERT_WEBHOOK_SECRET", default: nil, "Signing secret of owner alerts (whsec_ + base64, or 24+ bytes); required with the URL.", secret: true)

    /// Name, port and configuration variables of `notification`.
    public static let descriptor = ServiceDescriptor(
        name: "notification",
        summary: "Delivers address changes to agencies' webhooks and alerts owners.",
        defaultPort: 8083,
        variables: [
            retrySchedule, retryRepeat, retryGiveUp, timeout, concurrency, receiverConcurrency, allowLocal, retention, ownerAlertURL, ownerAlertSecret,
            subscriptionsPerAgency, watchedIINsPerAgency, replayMaxSpan, replaysPerHour,
        ]
    )

    public static func migrations(_ migrator: inout DatabaseMigrator) {
        NotificationMigrations.register(&migrator)
    }

    public static func parts(in environment: ServiceEnvironment) throws -> ServiceParts {
        let settings = environment.settings
        let duration = settings.duration
        guard let text = settings.string(retrySchedule), let steps = RetrySchedule.durations(text) else {
            throw ConfigurationError(variable: retrySchedule.name, problem: "'\(settings.string(retrySchedule) ?? "")' is not a comma-separated list of durations such as 5s,30s,2m")
        }
        let schedule = RetrySchedule(steps: steps, repeating: try duration(retryRepeat), giveUpAfter: try duration(retryGiveUp))
        let store = environment.store
        let topics = environment.topics
        let local = try settings.bool(allowLocal)
        let ownerAlerts = try configureOwnerAlerts(settings, store: store, allowLocal: local)
        let wakeups = WakeSignal()
        let limits = SubscriptionLimits(
            subscriptions: try settings.int(subscriptionsPerAgency, in: 1...100_000), watchedIINs: try settings.int(watchedIINsPerAgency, in: 1...100_000_000),
            replaySpan: try duration(replayMaxSpan), replaysPerHour: try settings.int(replaysPerHour, in: 1...100_000))
        // Every instance stores every event; the owner of an event's partition in the group
        // delivers it (docs/scaling.md). Nothing is owned at start: the deliveries the last run
        // left unfinished are queued again by whoever owns their partitions now.
        let member = EngineHandle()
        let ownership = DeliveryOwnership(
            store: store, member: member, relay: environment.relay, topics: topics, source: descriptor.eventSource, newDeliveries: wakeups,
            logger: environment.logger)
        try store.pool.write { db in try DeliveryQueue(db).dropUnfinished(of: nil) }
        let engine = DeliveryEngine(
            store: store, relay: environment.relay, timeout: try duration(timeout), schedule: schedule,
            concurrency: try settings.int(concurrency, in: 1...1024), receiverConcurrency: try settings.int(receiverConcurrency, in: 1...256),
            retention: try duration(retention), outcomeTopic: topics.name(for: .notificationOutcome), source: descriptor.eventSource, allowLocal: local,
            wakeups: wakeups, ownership: ownership, logger: environment.logger)
        var processor = NotificationProcessor(topics: topics, source: descriptor.eventSource, ownerAlerts: ownerAlerts, newDeliveries: wakeups)
        processor.ownership = ownership
        let catalogRead = CatchUpGate(name: topics.name(for: .addressCatalog))
        let subscriptionsRead = CatchUpGate(name: SubscriptionChangelog.topic(topics))
        var inputs: [RegistryTopic] = [.addressChanged, .addressAlerts]
        if ownerAlerts { inputs += [.registrationSubmitted, .registrationAccepted] }
        let subscriptions = ConsumerPart(
            processor: SubscriptionReplica(
                ownership: ownership, newDeliveries: wakeups, accessTopic: topics.name(for: .accessLogged), source: descriptor.eventSource,
                logger: environment.logger),
            topics: [SubscriptionChangelog.topic(topics)], groupSuffix: ".subscriptions", caughtUp: subscriptionsRead, startsAfter: catalogRead,
            membership: .everyPartition)
        var owner = ConsumerPart(
            processor: processor, topics: inputs.map(topics.name(for:)), pace: .background, handover: PartitionHandover(acquiresOwnership: false, keeper: ownership))
        owner.fetchesMessages = false
        owner.handle = member
        // The catalog's owners decide owner alerts; without them the copy decides nothing.
        let catalog = ConsumerPart.catalogCopy(processor: processor, topics: topics, caughtUp: catalogRead, decidesEvents: ownerAlerts)
        var events = ConsumerPart(
            processor: processor, topics: inputs.map(topics.name(for:)), groupSuffix: ".events", startsAfter: subscriptionsRead,
            membership: .everyPartition)
        events.decidedAgainst = catalog.handle
        return ServiceParts(
            consumers: [catalog, subscriptions, events, owner],
            routes: { routes in
                SubscriptionRoutes(
                    store: store, newDeliveries: wakeups, allowLocal: local, limits: limits, relay: environment.relay,
                    accessTopic: topics.name(for: .accessLogged), source: descriptor.eventSource, topics: topics, ownership: ownership
                ).add(to: routes)
            },
            services: [
                engine, ownership,
                SubscriptionTopicCreator(kafka: environment.configuration.kafka, topic: SubscriptionChangelog.topic(topics), logger: environment.logger),
            ])
    }

    /// Keeps the owner-alert channel in step with `OWNER_ALERT_WEBHOOK_URL`.
    /// - Returns: Whether owner alerts are on.
    /// Alerts go out for registrations from the moment they are switched on (never for the
    /// history a first start reads), so the channel keeps the time it was (re-)enabled.
    static func configureOwnerAlerts(_ settings: EnvironmentReader, store: ServiceStore, allowLocal: Bool) throws -> Bool {
        let url = settings.string(ownerAlertURL) ?? ""
        guard !url.isEmpty else {
            try store.pool.write { try SubscriptionStore($0).disableOwnerAlertChannel() }
            return false
        }
        let receiver: String
        do { receiver = try SubscriptionRequest.receiver(url, allowLocal: allowLocal) } catch {
            throw ConfigurationError(variable: ownerAlertURL.name, problem: "\(error)")
        }
        guard let text = settings.string(ownerAlertSecret) else {
            throw ConfigurationError(variable: ownerAlertSecret.name, problem: "is required when \(ownerAlertURL.name) is set (owner alerts are signed)")
        }
        let secret: WebhookSecret
        do { secret = try WebhookSecret(text) } catch {
            throw ConfigurationError(variable: ownerAlertSecret.name, problem: "\(error)")
        }
        let channel = NewSubscription(filter: SubscriptionFilter(), url: url, receiver: receiver, secret: secret)
        try store.pool.write { try SubscriptionStore($0).enableOwnerAlertChannel(channel, at: Timestamp(.now)) }
        return true
    }

    public static var openAPI: Data? {
        Bundle.module.url(forResource: "openapi", withExtension: "json").flatMap { try? Data(contentsOf: $0) }
    }
}
