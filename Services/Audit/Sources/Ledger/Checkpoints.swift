// Signed statements of the chain's head, made every N records or T seconds.

import Crypto
import Foundation
import GRDB
import Logging
import RegistrySchema
import ServiceLifecycle
import ServiceRuntime

/// A signed `{records, head, at}` statement (DESIGN §5.2): whoever keeps one can later prove the
/// first `records` records were not changed.
public struct Checkpoint: Hashable, Sendable, Codable {
    public let records: Int
    public let head: String
    public let at: String
    /// Ed25519 over ``statement``, base64url.
    public let signature: String

    /// Creates a checkpoint.
    public init(records: Int, head: String, at: String, signature: String) {
        self.records = records
        self.head = head
        self.at = at
        self.signature = signature
    }

    /// Whether `key` signed this statement.
    public func isSigned(by key: Curve25519.Signing.PublicKey) -> Bool {
        guard let signature = Data(base64URL: signature) else { return false }
        return key.isValidSignature(signature, for: Self.statement(records: records, head: head, at: at))
    }

    /// The signed bytes: `{"at":…,"head":…,"records":…}` (sorted keys, no spaces).
    public static func statement(records: Int, head: String, at: String) -> Data {
        Data(#"{"at":"\#(at)","head":"\#(head)","records":\#(records)}"#.utf8)
    }
}

/// Signs checkpoints with the audit's Ed25519 key.
public struct CheckpointSigner: Sendable {
    let key: Curve25519.Signing.PrivateKey
    /// Records between checkpoints.
    public let everyRecords: Int

    /// The public key as a JWK.
    public var publicJWK: [String: String] { Ed25519KeyFile.jwk(key.publicKey) }

    /// Makes a checkpoint of the current head when the chain has grown since the last one and
    /// `force` or at least ``everyRecords`` records were added.
    @discardableResult
    func checkpointIfDue(_ db: Database, force: Bool) throws -> Checkpoint? {
        let (records, hash) = try AuditLedger(db).head()
        let last = try Int.fetchOne(db, sql: "SELECT MAX(records) FROM audit_checkpoint") ?? 0
        guard records > last, force || records - last >= everyRecords else { return nil }
        let at = Timestamp(.now).description
        let signature = try key.signature(for: Checkpoint.statement(records: records, head: hash.hex, at: at))
        let checkpoint = Checkpoint(records: records, head: hash.hex, at: at, signature: Ed25519KeyFile.base64URL(signature))
        try db.execute(
            sql: "INSERT INTO audit_checkpoint (records, head, at, signature) VALUES (?, ?, ?, ?)",
            arguments: [checkpoint.records, checkpoint.head, checkpoint.at, checkpoint.signature])
        return checkpoint
    }

    /// Whether `checkpoint` was signed by this key.
    public func isGenuine(_ checkpoint: Checkpoint) -> Bool {
        checkpoint.isSigned(by: key.publicKey)
    }
}

/// Makes a checkpoint every ``interval`` when records were added since the last one.
final class CheckpointTimer: Service, Sendable {
    let store: ServiceStore
    let signer: CheckpointSigner
    let interval: Duration
    let logger: Logger

    init(store: ServiceStore, signer: CheckpointSigner, interval: Duration, logger: Logger) {
        self.store = store
        self.signer = signer
        self.interval = interval
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.interval)
                let signer = self.signer
                do {
                    if let made = try await self.store.write({ try signer.checkpointIfDue($0, force: true) }) {
                        self.logger.info("checkpoint", metadata: ["records": "\(made.records)", "head": "\(made.head)"])
                    }
                } catch {
                    self.logger.error("could not make a checkpoint", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}

extension Data {
    /// Decodes base64url with or without padding.
    public init?(base64URL text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }
}
