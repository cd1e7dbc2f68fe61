// Builds a service application in the test process, as `main` would, on the test broker.

import Foundation
import Kafka
import Prometheus
import RegistrySchema
import ServiceRuntime
import TestSupport

enum TestApplication {
    /// Assembles `service` with a fresh data directory, a free HTTP port and the test broker.
    /// - Parameters:
    ///   - environment: Extra variables (e.g. `REGISTRY_TOPIC_PREFIX`).
    ///   - verifier: Token verification; HS256 with ``TestSecrets/jwt`` by default.
    static func make<S: RegistryService>(
        _ service: S.Type, environment extra: [String: String] = [:], verifier: TokenVerifier? = nil
    ) async throws -> ServiceApplication {
        var environment = [
            "KAFKA_BOOTSTRAP_SERVERS": try TestBroker.bootstrapServers(), "HTTP_PORT": "\(try ChildProcess.freePort())",
            "DATA_DIR": NSTemporaryDirectory() + "\(S.descriptor.name)-" + UUID().uuidString,
            "AUDIT_SIGNING_KEY_FILE": try TestSecrets.auditSigningKeyFile(),
        ]
        environment.merge(extra) { _, new in new }
        let reader = EnvironmentReader(environment: environment, secrets: [])
        let configuration = try CommonConfiguration(reader: reader, service: S.descriptor.name, port: S.descriptor.defaultPort)
        var verifier = verifier
        if verifier == nil { verifier = await TokenVerifier.hs256(secret: TestSecrets.jwt) }
        return try ServiceApplication(
            S.self, configuration: configuration, settings: reader, verifier: verifier!,
            registry: PrometheusCollectorRegistry(), logger: TestBroker.logger,
            deadLetterMessage: DeadLetters.message(service: S.descriptor.name, source: S.descriptor.eventSource, topics: TopicNames(prefix: configuration.topicPrefix)))
    }
}
