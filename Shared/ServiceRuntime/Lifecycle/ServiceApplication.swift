// Builds a running service from the runtime and a service's parts.

import Foundation
import GRDB
import Hummingbird
import Kafka
import Logging
import Prometheus
import RegistrySchema
import ServiceLifecycle

/// A service assembled from the runtime: store, producer, outbox relay, one processing engine
/// per consumer, and the HTTP application with health, readiness, metrics and the service's
/// routes. Tests build it with their own configuration, exactly as `main` does.
public struct ServiceApplication: Sendable {
    /// The runtime objects the service's parts were built with.
    public let environment: ServiceEnvironment
    /// The processing engines, one per consumer part.
    public let engines: [ProcessingEngine]
    /// The service's own long-running work.
    public let services: [any Service]
    /// The routes declared, for the OpenAPI check.
    public let routes: RouteTable
    /// The document served at `/openapi.json`.
    public let openAPI: OpenAPIDocument
    /// The HTTP application (a `Service`).
    public let http: Application<RouterResponder<RegistryRequestContext>>

    /// Assembles a service.
    /// - Parameters:
    ///   - service: The service type.
    ///   - configuration: Its validated shared settings.
    ///   - settings: Reads its own variables.
    ///   - verifier: Verifies bearer tokens.
    ///   - registry: Where `/metrics` reads from.
    ///   - rebuilding: Whether it runs with `--rebuild` (see ``ServiceEnvironment/rebuilding``).
    ///   - deadLetterMessage: Builds a `deadletter.v1` message for a poison input message.
    public init<S: RegistryService>(
        _ service: S.Type, configuration: CommonConfiguration, settings: EnvironmentReader, verifier: TokenVerifier,
        registry: PrometheusCollectorRegistry, logger: Logger, rebuilding: Bool = false,
        deadLetterMessage: @escaping @Sendable (KafkaConsumerMessage, DeadLetterReason) -> KafkaProducerMessage
    ) throws {
        let descriptor = S.descriptor
        let store = try ServiceStore(directory: configuration.dataDirectory, name: descriptor.name, migrations: S.migrations)
        var producerConfiguration = KafkaProducerConfiguration(client: configuration.kafka)
        producerConfiguration.client.clientID = descriptor.name
        let producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)
        let relay = OutboxRelay(store: store, producer: producer, service: descriptor.name, logger: logger)
        let topics = TopicNames(prefix: configuration.topicPrefix)
        let accessLog = AccessLog(store: store, relay: relay, topics: topics, service: descriptor.name, source: descriptor.eventSource)
        let clock = TrustedClock(service: descriptor.name, logger: logger, maxAhead: configuration.clockMaxAhead)
        var environment = ServiceEnvironment(
            descriptor: descriptor, configuration: configuration, settings: settings, store: store,
            producer: producer, relay: relay, accessLog: accessLog, topics: topics, clock: clock, logger: logger)
        environment.rebuilding = rebuilding
        self.environment = environment
        let parts = try S.parts(in: environment)
        services = parts.services
        engines = parts.consumers.map { part in
            // The prefix isolates environments sharing a cluster; their groups must not mix either.
            var consumer = KafkaConsumerConfiguration(client: configuration.kafka, groupID: configuration.topicPrefix + descriptor.name + part.groupSuffix)
            consumer.client.clientID = descriptor.name
            consumer.fetchWait = part.pace.fetchWait
            consumer.dormancy = part.pace.dormancy
            if let prefetch = part.prefetchKilobytes { consumer.prefetchKilobytes = prefetch }
            consumer.fetchesMessages = part.fetchesMessages
            let engine = ProcessingEngine(
                store: store, processor: part.processor, consumer: consumer, topics: part.topics, membership: part.membership,
                ownership: part.ownership, handover: part.handover,
                deadLetterMessage: deadLetterMessage, relay: relay, caughtUp: part.caughtUp, startsAfter: part.startsAfter,
                decidedAgainst: part.decidedAgainst.map { DecidingCopy(handle: $0, logger: logger) },
                clock: clock, service: descriptor.name, logger: logger)
            part.handle?.bind(engine)
            return engine
        }

        let router = Router(context: RegistryRequestContext.self)
        // A server span per request only while spans are exported: otherwise not even the check.
        if EventTracing.isExporting { router.add(middleware: RequestTracingMiddleware<RegistryRequestContext>()) }
        router.add(middleware: ProblemMiddleware(logger: logger))
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: AuthenticationMiddleware(verifier: verifier.checkingTime(against: clock)))
        if let rate = configuration.rateLimit {
            router.add(middleware: RateLimitMiddleware(limiter: ActorRateLimiter(rate: rate, burst: configuration.rateBurst)))
        }
        routes = RouteTable(router: router, accessLog: accessLog, service: descriptor.name)
        HealthController().addRoutes(to: routes)
        let engines = self.engines
        OperationsController(
            checks: [
                ReadinessCheck("store") { await store.isHealthy() },
                ReadinessCheck("broker") { await producer.isBrokerReachable() },
                ReadinessCheck("consumers") { engines.allSatisfy(\.isReady) },
            ], registry: registry
        ).addRoutes(to: routes)
        openAPI = try S.openAPIDocument()
        openAPI.addRoute(to: routes)
        parts.routes(routes)
        http = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.httpHost, port: configuration.httpPort), serverName: descriptor.name),
            logger: logger)
    }

    /// Runs everything until SIGTERM/SIGINT, then stops in order: HTTP first, then the engines
    /// (finishing their batch), then the relay (draining for a bounded time), then the producer
    /// (flushing), and closes the store.
    /// - Parameter alongside: Services that stop after all of these (span export, which sends
    ///   the last spans).
    public func run(alongside: [any Service] = []) async throws {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = alongside.map { .init(service: $0) }
        services += [.init(service: environment.producer), .init(service: environment.relay)]
        services += engines.map { .init(service: $0) }
        services += self.services.map { .init(service: $0) }
        services.append(.init(service: http))
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: environment.logger))
        try await group.run()
        try environment.store.close()
    }
}
