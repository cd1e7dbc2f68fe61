// The audit service: identity, configuration, log, consumers and routes.

import Crypto
import Foundation
import GRDB
import Kafka
import RegistrySchema
import ServiceRuntime

/// The `audit` service (docs/architecture.md §2, §5.2, §6.1).
public enum AuditService: RegistryService {
    static let signingKeyFile = ConfigurationVariable(
        "AUDIT_SIGNING_KEY_FILE", default: nil,
        "Ed25519 private key (PKCS#8 PEM) that signs checkpoints; required, and outside DATA_DIR, unless REGISTRY_DEV_MODE=true (then generated on first start if missing: at this path, or in DATA_DIR when unset).",
        secret: true)
    static let logOrigin = ConfigurationVariable(
        "AUDIT_LOG_ORIGIN", default: "address-registry/audit", "The log's name: the first line of every checkpoint and the name of its key.")
    static let checkpointRecords = ConfigurationVariable("AUDIT_CHECKPOINT_RECORDS", default: "1000", "Records between signed checkpoints.")
    static let checkpointSeconds = ConfigurationVariable("AUDIT_CHECKPOINT_SECONDS", default: "60", "Seconds between signed checkpoints when records were added.")

    /// Name, port and configuration variables of `audit`.
    public static let descriptor = ServiceDescriptor(
        name: "audit",
        summary: "Keeps a transparency log of every event and every access: a Merkle tree with signed checkpoints.",
        defaultPort: 8084,
        variables: [signingKeyFile, logOrigin, checkpointRecords, checkpointSeconds]
    )

    public static func migrations(_ migrator: inout DatabaseMigrator) {
        AuditMigrations.register(&migrator)
    }

    /// The topics the audit records: every one but the catalog (not about people) and the
    /// audit's own checkpoints (about the log itself: recording them would add a record after
    /// every checkpoint).
    public static let auditedTopics = RegistryTopic.allCases.filter { $0 != .addressCatalog && $0 != .auditCheckpoints && !$0.isInternal }

    /// The checkpoint key file's name in DATA_DIR (development only).
    public static let keyFileName = "audit-signing-key.pem"

    public static func parts(in environment: ServiceEnvironment) throws -> ServiceParts {
        let settings = environment.settings
        let key = try signingKey(configured: settings.string(signingKeyFile), configuration: environment.configuration)
        let origin = settings.string(logOrigin)!
        let signer: CheckpointSigner
        do {
            signer = try CheckpointSigner(
                key: key, origin: origin, everyRecords: try settings.int(checkpointRecords, in: 1...10_000_000),
                topic: environment.topics.name(for: .auditCheckpoints))
        } catch {
            throw ConfigurationError(variable: logOrigin.name, problem: "\(error)")
        }
        let interval = Duration.seconds(try settings.int(checkpointSeconds, in: 1...86_400))
        let logTopic = environment.topics.name(for: .auditLog)
        let activity = SequencerActivity()
        let pending = PendingRecords()
        let instance = instanceSuffix(dataDirectory: environment.configuration.dataDirectory)
        func consumer(group suffix: String) -> KafkaConsumerConfiguration {
            var consumer = KafkaConsumerConfiguration(
                client: environment.configuration.kafka, groupID: environment.configuration.topicPrefix + descriptor.name + suffix)
            consumer.client.clientID = descriptor.name
            return consumer
        }
        // Audit reads every partition of nine topics. With the 4 MiB the other consumers fetch
        // ahead, it waited on fetches about a third of the time when it caught up alone, as in
        // the end to end's tail: 400,144 messages in 41–49 s; 34–40 s with 16 MiB, for 20 MB more
        // peak RSS (8 MiB: 37–39 s; 32 MiB: 37 s and 141–143 MB). BENCHMARKS.md, "Audit, measured".
        var reading = consumer(group: ".read" + instance)
        reading.prefetchKilobytes = 16_384
        // Nobody waits on the audit closely, and it reads every partition of nine topics: at the
        // prompt pace its idle fetches were about 40 % of an idle broker's CPU (interleaved A/B, broker
        // and four services idle 30 s: 53.6 and 42.7 % of one core before, 28.3 and 26.1 % after).
        reading.fetchWait = ConsumerPace.background.fetchWait
        reading.dormancy = ConsumerPace.background.dormancy
        // Reads again what the reader missed, outside any group's assignment (nothing committed).
        let refetcher = RecordRefetcher(configuration: consumer(group: ".refetch" + instance), logger: environment.logger)
        // The sequencer's member only holds the log's partition; the applier reads the frames.
        var sequencing = consumer(group: "")
        sequencing.fetchesMessages = false
        let store = AuditStore(environment.store)
        return ServiceParts(
            consumers: [
                // Every instance applies the whole order through a group of its own (the order's
                // offsets are kept in the store, as every consumer's; the group only shows the lag).
                ConsumerPart(
                    processor: LogApplier(
                        signer: signer, pending: pending, store: environment.store, refetch: { try await refetcher.read($0) }, logger: environment.logger),
                    topics: [logTopic],
                    groupSuffix: ".log" + instance, caughtUp: CatchUpGate(name: logTopic), pace: .prompt)
            ],
            routes: { AuditRoutes(store: store, verifier: signer.verifier).add(to: $0) },
            services: [
                AuditedReader(
                    configuration: reading, topics: auditedTopics.map(environment.topics.name(for:)), store: environment.store, pending: pending,
                    clock: environment.clock, logger: environment.logger),
                LogSequencer(
                    configuration: sequencing, logTopic: logTopic, key: Array(origin.utf8), producer: environment.producer, pending: pending,
                    activity: activity, logger: environment.logger),
                CheckpointRequester(
                    store: environment.store, relay: environment.relay, activity: activity,
                    request: KafkaProducerMessage(topic: logTopic, key: Array(origin.utf8), value: AuditLogFrame.checkpointRequest.encoded(), headers: []),
                    interval: interval, logger: environment.logger),
            ])
    }

    /// This instance's name in its own consumer groups, `.<8 hex digits>` of the host and the
    /// data folder: stable across restarts, different between instances (a copy of a store on
    /// another host or in another folder is another instance). Its groups are
    /// `REGISTRY_TOPIC_PREFIX` + `audit.log` + this (the order) and `audit.read` + this (the
    /// audited topics); every instance also joins `audit`, whose member holding the log's one
    /// partition sequences.
    public static func instanceSuffix(dataDirectory: String) -> String {
        let place = ProcessInfo.processInfo.hostName + ":" + URL(fileURLWithPath: dataDirectory).standardizedFileURL.path
        return "." + SHA256.hash(data: Data(place.utf8)).prefix(4).map { String(format: "%02x", $0) }.joined()
    }

    /// The checkpoint key. Outside development it must be configured and lie outside `DATA_DIR`:
    /// whoever can write the store must not be able to sign (docs/architecture.md §6.1).
    static func signingKey(configured: String?, configuration: CommonConfiguration) throws -> Curve25519.Signing.PrivateKey {
        let development = configuration.developmentMode
        guard let configured else {
            guard development else {
                throw ConfigurationError(
                    variable: signingKeyFile.name,
                    problem: "is required (a key file outside DATA_DIR): whoever can write the audit store must not be able to sign its checkpoints")
            }
            return try loadKey { try Ed25519KeyFile.load(configured: nil, dataDirectory: configuration.dataDirectory, name: keyFileName) }
        }
        if !development, Self.path(configured, isInside: configuration.dataDirectory) {
            throw ConfigurationError(
                variable: signingKeyFile.name,
                problem: "'\(configured)' lies inside DATA_DIR (\(configuration.dataDirectory)): whoever can write the audit store must not be able to sign its checkpoints")
        }
        if development, !FileManager.default.fileExists(atPath: configured) {
            let url = URL(fileURLWithPath: configured)
            return try loadKey {
                try Ed25519KeyFile.load(configured: nil, dataDirectory: url.deletingLastPathComponent().path, name: url.lastPathComponent)
            }
        }
        return try loadKey { try Ed25519KeyFile.load(configured: configured, dataDirectory: configuration.dataDirectory, name: keyFileName) }
    }

    private static func loadKey(_ load: () throws -> Curve25519.Signing.PrivateKey) throws -> Curve25519.Signing.PrivateKey {
        do {
            return try load()
        } catch {
            throw ConfigurationError(variable: signingKeyFile.name, problem: "\(error)")
        }
    }

    /// Whether `path` is `directory` or lies below it, symbolic links resolved.
    static func path(_ path: String, isInside directory: String) -> Bool {
        func resolved(_ p: String) -> String { URL(fileURLWithPath: p).standardizedFileURL.resolvingSymlinksInPath().path }
        let (file, folder) = (resolved(path), resolved(directory))
        return file == folder || file.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/")
    }

    public static var openAPI: Data? {
        Bundle.module.url(forResource: "openapi", withExtension: "json").flatMap { try? Data(contentsOf: $0) }
    }
}
