// registryctl audit witness: follow the audit's checkpoints and prove each extends the last.

import ArgumentParser
import Audit
import Foundation
import Kafka
import RegistrySchema

/// A witness of the audit's transparency log (docs/architecture.md §6.1): it checks the signature of every
/// checkpoint and that each is consistent with the last one it verified, so a log that was
/// rewritten, forked, truncated or rolled back is caught by anyone who kept an earlier checkpoint.
struct AuditWitnessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "witness",
        abstract: "Follow the audit's checkpoints; verify each signature and its consistency with the last verified one.",
        discussion: """
            Reads checkpoints from audit.checkpoints.v1 (or, with --poll, from GET \
            /v1/audit/checkpoint), checks each note's signature with the pinned verifier key and \
            asks the service at --url for the consistency proof from the last checkpoint it \
            verified, which it checks itself. It remembers that checkpoint, the key and its place \
            in the topic in --state (its own file, never the audit's folder), so each run carries on \
            from the last. It prints one line per verified checkpoint and exits 1 naming both \
            sizes and roots when a checkpoint is not signed by the key, forks from the verified \
            one, or shows a smaller log than the one verified before (rollback, truncation). \
            Without --verifier the first run pins the key the service serves (trust on first use); \
            give the key you got from elsewhere to avoid that. Exit 69 when the broker or the \
            service does not answer.
            """)

    @OptionGroup var broker: BrokerOptions

    @Option(help: "The audit service, for consistency proofs (and checkpoints with --poll).")
    var url = "http://localhost:8084"

    @Option(help: "The note verifier key to pin (<name>+<hash>+<base64>), as GET /v1/audit/checkpoint/verifier serves it.")
    var verifier: String?

    @Option(help: "The witness's state file (default: $XDG_STATE_HOME/registryctl/audit-witness.json).")
    var state: String?

    @Flag(help: "Poll GET /v1/audit/checkpoint instead of following audit.checkpoints.v1.")
    var poll = false

    @Option(help: "Seconds between polls.")
    var interval = 10

    @Flag(help: "Stop at the end of the topic (or after one poll) instead of following.")
    var once = false

    func validate() throws {
        guard interval > 0 else { throw ValidationError("--interval must be positive") }
    }

    func run() async throws {
        let path = state ?? WitnessState.defaultPath
        if FileManager.default.fileExists(atPath: ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("audit.sqlite")) {
            throw ValidationError(WitnessError.stateInAuditFolder(path).description)
        }
        var witness = Witness(http: AuditHTTP(base: url), path: path, state: try WitnessState.load(path), followsTopic: !poll)
        try await witness.pin(verifier)
        if poll {
            while true {
                try await witness.check(note: try await witness.http.text("/v1/audit/checkpoint"))
                if once { return }
                try await Task.sleep(for: .seconds(interval))
            }
        }
        try await follow(&witness)
    }

    private func follow(_ witness: inout Witness) async throws {
        let topic = broker.topicNames.name(for: .auditCheckpoints)
        let offsets = witness.state.offsets
        var configuration = KafkaConsumerConfiguration(client: broker.clientConfiguration, groupID: "registryctl-witness-\(UUID().uuidString.prefix(8))")
        configuration.autoOffsetReset = "earliest"
        let hooks = KafkaRebalanceHooks(startOffsets: { partitions in
            Dictionary(uniqueKeysWithValues: partitions.map { ($0, offsets[String($0.partition)].map { .offset($0) } ?? .beginning) })
        })
        let consumer = try KafkaConsumer(configuration: configuration, hooks: hooks, logger: broker.logger)
        let partitions: Set<KafkaTopicPartition>
        do {
            partitions = try await consumer.partitions(of: [topic], timeout: .seconds(10))
        } catch {
            printError("registryctl: the broker at \(broker.clientConfiguration.bootstrapServers) did not answer: \(error)")
            throw ExitStatus.brokerUnreachable
        }
        try consumer.subscribe(to: [topic])
        var atEnd = Set<Int32>()
        let decoder = RegistryEventDecoder()
        do {
            for await batch in consumer.batches {
                for message in batch.messages {
                    atEnd.remove(message.partition)
                    if let value = message.value, case .auditCheckpoint(let event)? = try? decoder.decodeEvent(from: value) {
                        try await witness.check(note: event.data.note)
                    } else {
                        printError("registryctl: skipped \(topic) p\(message.partition)@\(message.offset): not a checkpoint event")
                    }
                    witness.state.offsets[String(message.partition)] = message.offset + 1
                    try witness.save()
                }
                for end in batch.reachedEnd where end.topic == topic { atEnd.insert(end.partition) }
                if once, !partitions.isEmpty, atEnd.count == partitions.count { break }
            }
        } catch {
            await consumer.close()
            throw error
        }
        await consumer.close()
    }
}

/// The witness's checks, one checkpoint at a time.
struct Witness {
    let http: AuditHTTP
    let path: String
    var state: WitnessState
    /// Whether checkpoints come from the topic, where re-sent and older checkpoints are normal,
    /// rather than from the service's latest, which must never go back.
    let followsTopic: Bool
    var key: NoteVerifierKey?

    init(http: AuditHTTP, path: String, state: WitnessState, followsTopic: Bool) {
        self.http = http
        self.path = path
        self.state = state
        self.followsTopic = followsTopic
    }

    /// Pins `given`, or the key in the state, or (first run) the service's.
    mutating func pin(_ given: String?) async throws {
        if let given, let pinned = state.verifier, given.trimmingCharacters(in: .whitespacesAndNewlines) != pinned {
            throw ValidationError("--verifier differs from the key this witness pinned before (\(pinned)); use another --state to witness with another key")
        }
        var text = given ?? state.verifier
        if text == nil {
            text = try await http.text("/v1/audit/checkpoint/verifier").trimmingCharacters(in: .whitespacesAndNewlines)
            printError("registryctl: pinned the key the service serves (trust on first use): \(text!)")
        }
        do {
            key = try NoteVerifierKey(parsing: text!)
        } catch {
            throw ValidationError("the verifier key: \(error)")
        }
        state.verifier = key!.description
        try save()
    }

    func save() throws {
        try state.save(path)
    }

    /// Checks one checkpoint note; prints a line when it verifies a new one.
    /// - Throws: Exit 1 (after saying why on standard error) on a bad signature, a fork or a rollback.
    mutating func check(note: String) async throws {
        let checkpoint: CheckpointNote
        do {
            checkpoint = try CheckpointNote(verifying: note, with: key!)
        } catch {
            try violation("BAD SIGNATURE: a checkpoint is not signed by \(key!.name)+\(key!.keyHash.hexString): \(error)")
        }
        let (size, root) = (checkpoint.size, checkpoint.root)
        let shown = "size \(size) root \(root.base64EncodedString())"
        guard let heldSize = state.size, let heldText = state.root, let held = Data(base64Encoded: heldText) else {
            state.verified(size: size, root: root, note: note)
            try save()
            print("verified \(checkpoint.origin) \(shown) (the first this witness holds)")
            return
        }
        let holds = "size \(heldSize) root \(heldText)"
        if size == heldSize {
            if root != held { try violation("FORK: the log shows \(shown), but \(holds) was verified before") }
            // The topic repeats checkpoints now and then; the service's latest is worth a word.
            if !followsTopic { print("already verified: \(shown)") }
            return
        }
        if size < heldSize {
            if followsTopic, state.recent[String(size)] == root.base64EncodedString() { return }
            guard followsTopic else {
                try violation("ROLLBACK: the log's latest checkpoint is \(shown), but \(holds) was verified before")
            }
            // An older checkpoint than the one held, met on the topic: it must be a head of the same log.
            switch try await consistent(from: size, fromRoot: root, to: heldSize, toRoot: held) {
            case .consistent: return
            case .beyondTheLog: try violation("ROLLBACK: the log no longer has the \(heldSize) records of \(holds) (it shows \(shown)): records were removed")
            case .inconsistent: try violation("FORK: \(shown) is not a head of the log of \(holds)")
            }
        }
        switch try await consistent(from: heldSize, fromRoot: held, to: size, toRoot: root) {
        case .consistent:
            state.verified(size: size, root: root, note: note)
            try save()
            print("verified \(checkpoint.origin) \(shown) (consistent with size \(heldSize))")
        case .beyondTheLog:
            try violation("ROLLBACK: the log cannot prove \(shown) from \(holds): it no longer has those records")
        case .inconsistent:
            try violation("FORK: \(shown) does not extend \(holds): the log was rewritten")
        }
    }

    enum Consistency { case consistent, inconsistent, beyondTheLog }

    private func consistent(from: Int, fromRoot: Data, to: Int, toRoot: Data) async throws -> Consistency {
        let answer: [String: Any]
        do {
            answer = try await http.json("/v1/audit/proof/consistency?from=\(from)&to=\(to)")
        } catch let refused as AuditHTTP.Refused where refused.status == 400 {
            return .beyondTheLog
        }
        guard let texts = answer["hashes"] as? [String] else { return .inconsistent }
        let hashes = texts.compactMap { Data(base64Encoded: $0) }
        guard hashes.count == texts.count else { return .inconsistent }
        return MerkleVerification.verifyConsistency(firstSize: from, firstRoot: fromRoot, secondSize: to, secondRoot: toRoot, proof: hashes)
            ? .consistent : .inconsistent
    }

    private func violation(_ text: String) throws -> Never {
        printError("registryctl: audit witness: \(text)")
        print("VIOLATION: \(text)")
        Foundation.exit(1)
    }
}
