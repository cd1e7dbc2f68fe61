// The audit service: identity, configuration, ledger, consumers and routes.

import Foundation
import GRDB
import RegistrySchema
import ServiceRuntime

/// The `audit` service (DESIGN §2, §5.2, §6).
public enum AuditService: RegistryService {
    static let signingKeyFile = ConfigurationVariable(
        "AUDIT_SIGNING_KEY_FILE", default: nil, "Ed25519 private key (PKCS#8 PEM) for checkpoints; default: generated into DATA_DIR on first start.",
        secret: true)
    static let checkpointRecords = ConfigurationVariable("AUDIT_CHECKPOINT_RECORDS", default: "1000", "Records between signed checkpoints.")
    static let checkpointSeconds = ConfigurationVariable("AUDIT_CHECKPOINT_SECONDS", default: "60", "Seconds between signed checkpoints when records were added.")

    /// Name, port and configuration variables of `audit`.
    public static let descriptor = ServiceDescriptor(
        name: "audit",
        summary: "Keeps a tamper-evident record of every event and every access.",
        defaultPort: 8084,
        variables: [signingKeyFile, checkpointRecords, checkpointSeconds]
    )

    public static func migrations(_ migrator: inout DatabaseMigrator) {
        AuditMigrations.register(&migrator)
    }

    /// The checkpoint key file's name in DATA_DIR.
    public static let keyFileName = "audit-signing-key.pem"

    public static func parts(in environment: ServiceEnvironment) throws -> ServiceParts {
        let settings = environment.settings
        let key = try Ed25519KeyFile.load(configured: settings.string(signingKeyFile), dataDirectory: environment.configuration.dataDirectory, name: keyFileName)
        let signer = CheckpointSigner(key: key, everyRecords: try settings.int(checkpointRecords, in: 1...10_000_000))
        let interval = Duration.seconds(try settings.int(checkpointSeconds, in: 1...86_400))
        let topics = RegistryTopic.allCases.filter { $0 != .addressCatalog }.map(environment.topics.name(for:))
        let store = environment.store
        // Audit reads every partition of nine topics. With the 4 MiB the other consumers fetch
        // ahead, it waited on fetches about a third of the time when it caught up alone, as in
        // the end to end's tail: 400,144 messages in 41–49 s; 34–40 s with 16 MiB, for 20 MB more
        // peak RSS (8 MiB: 37–39 s; 32 MiB: 37 s and 141–143 MB). BENCHMARKS.md, "Audit, measured".
        return ServiceParts(
            consumers: [ConsumerPart(processor: AuditProcessor(signer: signer), topics: topics, pace: .background, prefetchKilobytes: 16_384)],
            routes: { AuditRoutes(store: store, signer: signer).add(to: $0) },
            services: [CheckpointTimer(store: store, signer: signer, interval: interval, logger: environment.logger)])
    }

    public static var openAPI: Data? {
        Bundle.module.url(forResource: "openapi", withExtension: "json").flatMap { try? Data(contentsOf: $0) }
    }
}
