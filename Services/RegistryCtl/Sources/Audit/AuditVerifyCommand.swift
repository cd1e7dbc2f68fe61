// registryctl audit verify: recompute the audit's tree, online or on a copy of its store.

import ArgumentParser
import Audit
import Crypto
import Foundation
import GRDB
import ServiceRuntime

/// Recomputes the Merkle tree from every record and checks it against the stored tree, every
/// checkpoint and the subject index, by asking the service or reading a copy of its store.
struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute the audit's Merkle tree and check it against every checkpoint and the subject index.",
        discussion: """
            Online (default): asks the audit service at --url (an auditor token is minted from \
            $REGISTRY_JWT_SECRET unless --token is given). Offline: --store reads a copy of \
            audit.sqlite (read-only): it recomputes the tree from the records, compares it with \
            the stored nodes and with every checkpoint's root, checks each checkpoint's signature \
            with --verifier (the note verifier key, as GET /v1/audit/checkpoint/verifier serves it; \
            default: derived from an audit-signing-key.pem beside the store, as development keeps \
            it), checks every subject-index row against the record it points to, and checks the \
            checkpoints of the hash chain the tree replaced. Exits 0 when valid, 1 when not.
            """)

    @Option(help: "The audit service.")
    var url = "http://localhost:8084"

    @Option(help: "An auditor bearer token (default: minted from $REGISTRY_JWT_SECRET).")
    var token: String?

    @Option(help: "Verify a copy of the audit store file instead of asking the service.")
    var store: String?

    @Option(help: "Offline: the checkpoints' note verifier key (<name>+<hash>+<base64>).")
    var verifier: String?

    @Option(name: .customLong("chain-key"), help: "Offline: a JWK file with the key of the former hash chain's checkpoints, if not the verifier's.")
    var chainKey: String?

    @Option(help: "Offline: the log origin, to name a key found beside the store.")
    var origin = "address-registry/audit"

    func run() async throws {
        if let store { try verifyOffline(store) } else { try await verifyOnline() }
    }

    private func verifyOffline(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            printError("registryctl: no such file: \(path)")
            throw ExitCode(66)
        }
        var configuration = Configuration()
        configuration.readonly = true
        let database = try DatabaseQueue(path: path, configuration: configuration)
        let key = try verifierKey(beside: path)
        let legacyKey = try chainKey.map(Self.jwkKey)
        let result = try database.read { try AuditLedger($0).verify(verifier: key, chainKey: legacyKey) }
        report(
            valid: result.valid, records: result.records, root: result.root, checkpoints: result.checkpoints, chainCheckpoints: result.chainCheckpoints,
            signatures: key.map { "signatures checked with \($0.name)+\($0.keyHash.hexString)" } ?? "signatures NOT checked: no --verifier",
            firstBad: result.firstBad, problems: result.problems)
    }

    private func verifierKey(beside store: String) throws -> NoteVerifierKey? {
        if let verifier {
            do {
                return try NoteVerifierKey(parsing: verifier)
            } catch {
                throw ValidationError("--verifier: \(error)")
            }
        }
        let beside = ((store as NSString).deletingLastPathComponent as NSString).appendingPathComponent(AuditService.keyFileName)
        guard let pem = try? String(contentsOfFile: beside, encoding: .utf8) else { return nil }
        return try NoteVerifierKey(name: origin, publicKey: try Curve25519.Signing.PrivateKey(pemRepresentation: pem).publicKey)
    }

    private static func jwkKey(_ file: String) throws -> Curve25519.Signing.PublicKey {
        guard let data = FileManager.default.contents(atPath: file),
              let jwk = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let x = jwk["x"] as? String ?? ((jwk["keys"] as? [[String: Any]])?.first?["x"] as? String),
              let raw = Data(base64Encoded: x.base64FromBase64URL)
        else { throw ValidationError("\(file) is not an Ed25519 JWK") }
        return try Curve25519.Signing.PublicKey(rawRepresentation: raw)
    }

    private func verifyOnline() async throws {
        var bearer = token
        if bearer == nil { bearer = try await TokenCommand.mint(role: .auditor, sub: "registryctl", ttl: 300) }
        let answer = try await AuditHTTP(base: url).json("/v1/audit/verify", bearer: bearer)
        guard let valid = answer["valid"] as? Bool, let records = answer["records"] as? Int, let root = answer["head"] as? String else {
            throw ValidationError("unexpected answer from \(url)/v1/audit/verify: \(answer)")
        }
        report(
            valid: valid, records: records, root: root, checkpoints: answer["checkpoints"] as? Int ?? 0,
            chainCheckpoints: answer["chainCheckpoints"] as? Int ?? 0, signatures: "signatures checked by the service",
            firstBad: answer["firstBad"] as? Int, problems: answer["problems"] as? [String] ?? [])
    }

    private func report(
        valid: Bool, records: Int, root: String, checkpoints: Int, chainCheckpoints: Int, signatures: String, firstBad: Int?, problems: [String]
    ) {
        print("records:     \(records)")
        print("root:        \(root)")
        print("checkpoints: \(checkpoints) (\(signatures))")
        if chainCheckpoints > 0 { print("chain checkpoints: \(chainCheckpoints) (from before the tree)") }
        if let firstBad { print("first bad:   \(firstBad)") }
        for problem in problems { print("problem:     \(problem)") }
        print(valid ? "valid" : "INVALID")
        if !valid { Foundation.exit(1) }
    }
}

extension String {
    /// Base64url text as plain base64 with padding.
    var base64FromBase64URL: String {
        let plain = replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        return plain + String(repeating: "=", count: (4 - plain.count % 4) % 4)
    }
}
