// The address-index service: identity, configuration, store, consumers, routes and clock.

import Foundation
import GRDB
import RegistrySchema
import ServiceRuntime

/// The `address-index` service (docs/architecture.md §2, §4.7-4.8, §5.2).
public enum AddressIndexService: RegistryService {
    static let occupancyThreshold = ConfigurationVariable(
        "OCCUPANCY_ALERT_THRESHOLD", default: "10", "Residents above which a dwelling gets an occupancy alert.")
    static let signingKeyFile = ConfigurationVariable(
        "CERT_SIGNING_KEY_FILE", default: nil, "Ed25519 private key (PKCS#8 PEM) for certificates; default: generated into DATA_DIR on first start.",
        secret: true)
    static let today = ConfigurationVariable(
        "REGISTRY_TODAY", default: "", "Fixes today's date (YYYY-MM-DD) for demos and tests; empty: the system's UTC date.")

    /// Name, port and configuration variables of `address-index`.
    public static let descriptor = ServiceDescriptor(
        name: "address-index",
        summary: "Answers who is registered where, now and on any date; issues certificates.",
        defaultPort: 8082,
        variables: [occupancyThreshold, signingKeyFile, today]
    )

    public static func migrations(_ migrator: inout DatabaseMigrator) {
        IndexMigrations.register(&migrator)
    }

    public static func parts(in environment: ServiceEnvironment) throws -> ServiceParts {
        let settings = environment.settings
        let threshold = try settings.int(occupancyThreshold, in: 1...1_000_000)
        var clock = IndexClock.system(guardedBy: environment.clock)
        if let fixed = settings.string(today), !fixed.isEmpty {
            guard let date = CalendarDate(fixed) else { throw ConfigurationError(variable: today.name, problem: "'\(fixed)' is not a date (YYYY-MM-DD)") }
            clock = IndexClock { date }
        }
        let clockInUse = clock
        let certificates = try CertificateAuthority.load(keyFile: settings.string(signingKeyFile), dataDirectory: environment.configuration.dataDirectory)
        let topics = environment.topics
        let projector = RegistrationProjector(
            topics: topics, source: descriptor.eventSource, occupancyThreshold: threshold, clock: clock, logger: environment.logger)
        let processor = IndexProcessor(catalogTopic: topics.name(for: .addressCatalog), projector: projector)
        let catalogRead = CatchUpGate(name: topics.name(for: .addressCatalog))
        // Every instance holds every person (a replica of the accepted topic) and computes the
        // derived events; the owner of each accepted partition in the group publishes them.
        let ownership = environment.partitionOwnership(of: .registrationAccepted, everyInstanceComputes: true)
        let watcher = TemporaryEndWatcher(
            store: environment.store, relay: environment.relay, projector: projector, ownership: ownership, interval: .seconds(60), logger: environment.logger)
        let store = environment.store
        return ServiceParts(
            consumers: [
                .catalogCopy(processor: processor, topics: topics, caughtUp: catalogRead, decidesEvents: false),
                ConsumerPart(
                    processor: processor, topics: [topics.name(for: .registrationAccepted)], groupSuffix: ".replica", startsAfter: catalogRead,
                    membership: .everyPartition, ownership: ownership),
                .ownershipMember(ownership),
            ],
            routes: { routes in
                PersonRoutes(store: store, clock: clockInUse, certificates: certificates).add(to: routes)
                AddressRoutes(store: store, clock: clockInUse).add(to: routes)
                CertificateRoutes(store: store, clock: clockInUse, certificates: certificates).add(to: routes)
            },
            services: [watcher])
    }

    /// The index is a projection of the catalog and the accepted registrations: `--rebuild` drops
    /// it and replays them (the certificate key in DATA_DIR is kept).
    public static var rebuildsFromTopics: Bool { true }

    public static var openAPI: Data? {
        Bundle.module.url(forResource: "openapi", withExtension: "json").flatMap { try? Data(contentsOf: $0) }
    }
}
