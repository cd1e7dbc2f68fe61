// registryctl audit verify: check the audit chain online or on a copy of the store.

import ArgumentParser
import Audit
import Crypto
import Foundation
import GRDB
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Audit operations.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Check the audit log.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the audit hash chain and check the checkpoints' signatures.",
            discussion: """
                Online (default): asks the audit service at --url (an auditor token is minted from \
                $REGISTRY_JWT_SECRET unless --token is given). Offline: --store reads a copy of audit.sqlite \
                (read-only) and checks each checkpoint's signature with --public-key (a JWK file; default: the \
                key in audit-signing-key.pem beside the store) and its head against the chain.
                Exits 0 when valid, 1 when not.
                """)

        @Option(help: "The audit service.")
        var url = "http://localhost:8084"

        @Option(help: "An auditor bearer token (default: minted from $REGISTRY_JWT_SECRET).")
        var token: String?

        @Option(help: "Verify a copy of the audit store file instead of asking the service.")
        var store: String?

        @Option(name: .customLong("public-key"), help: "Offline: the checkpoint key as a JWK file.")
        var publicKey: String?

        func run() async throws {
            if let store { try verifyOffline(store) } else { try await verifyOnline() }
        }

        private func verifyOffline(_ path: String) throws {
            guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("no such file: \(path)") }
            var configuration = Configuration()
            configuration.readonly = true
            let database = try DatabaseQueue(path: path, configuration: configuration)
            let key = try checkpointKey(beside: path)
            let (result, checkpoints) = try database.read { db in
                (try AuditLedger(db).verify(),
                 try Row.fetchAll(db, sql: """
                    SELECT c.records, c.head, c.at, c.signature, r.hash FROM audit_checkpoint c LEFT JOIN audit_record r ON r.position = c.records ORDER BY c.records
                    """))
            }
            var badCheckpoints: [Int] = []
            for row in checkpoints {
                let checkpoint = Checkpoint(records: row["records"], head: row["head"], at: row["at"], signature: row["signature"])
                let chained = (row["hash"] as Data?)?.map { String(format: "%02x", $0) }.joined()
                let signed = key.map { checkpoint.isSigned(by: $0) } ?? true
                if !signed || chained != checkpoint.head { badCheckpoints.append(checkpoint.records) }
            }
            report(valid: result.valid && badCheckpoints.isEmpty, records: result.records, head: result.head, firstBroken: result.firstBroken,
                   checkpoints: checkpoints.count, badCheckpoints: badCheckpoints, keyChecked: key != nil)
        }

        private func checkpointKey(beside store: String) throws -> Curve25519.Signing.PublicKey? {
            if let publicKey {
                guard let data = FileManager.default.contents(atPath: publicKey),
                      let jwk = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                      let x = jwk["x"] as? String ?? ((jwk["keys"] as? [[String: Any]])?.first?["x"] as? String),
                      let raw = Data(base64URL: x) else { throw ValidationError("\(publicKey) is not an Ed25519 JWK") }
                return try Curve25519.Signing.PublicKey(rawRepresentation: raw)
            }
            let beside = ((store as NSString).deletingLastPathComponent as NSString).appendingPathComponent(AuditService.keyFileName)
            guard let pem = try? String(contentsOfFile: beside, encoding: .utf8) else { return nil }
            return try Curve25519.Signing.PrivateKey(pemRepresentation: pem).publicKey
        }

        private func verifyOnline() async throws {
            var bearer = token
            if bearer == nil { bearer = try await TokenCommand.mint(role: .auditor, sub: "registryctl", ttl: 300) }
            let verify = try await get("\(url)/v1/audit/verify", bearer: bearer)
            let published = try await get("\(url)/v1/audit/checkpoints", bearer: nil)
            guard let valid = verify["valid"] as? Bool, let records = verify["records"] as? Int, let head = verify["head"] as? String else {
                throw ValidationError("unexpected answer from \(url)/v1/audit/verify: \(verify)")
            }
            let jwk = published["key"] as? [String: Any]
            let key = (jwk?["x"] as? String).flatMap { Data(base64URL: $0) }.flatMap { try? Curve25519.Signing.PublicKey(rawRepresentation: $0) }
            let list = published["checkpoints"] as? [[String: Any]] ?? []
            var bad: [Int] = []
            for item in list {
                guard let n = item["records"] as? Int, let h = item["head"] as? String, let at = item["at"] as? String, let s = item["signature"] as? String else { continue }
                if let key, !Checkpoint(records: n, head: h, at: at, signature: s).isSigned(by: key) { bad.append(n) }
            }
            report(valid: valid && bad.isEmpty, records: records, head: head, firstBroken: verify["firstBroken"] as? Int,
                   checkpoints: list.count, badCheckpoints: bad, keyChecked: key != nil)
        }

        private func get(_ address: String, bearer: String?) async throws -> [String: Any] {
            var request = URLRequest(url: URL(string: address)!)
            request.timeoutInterval = 30
            if let bearer { request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization") }
            let data: Data
            let response: URLResponse
            do {
                (data, response) = try await URLSession.shared.data(for: request)
            } catch {
                printError("registryctl: \(address) did not answer: \(error.localizedDescription)")
                throw ExitStatus.brokerUnreachable
            }
            guard (response as? HTTPURLResponse)?.statusCode == 200, let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw ValidationError("\(address) answered \((response as? HTTPURLResponse)?.statusCode ?? 0): \(String(decoding: data, as: UTF8.self))")
            }
            return object
        }

        private func report(valid: Bool, records: Int, head: String, firstBroken: Int?, checkpoints: Int, badCheckpoints: [Int], keyChecked: Bool) {
            print("records:     \(records)")
            print("head:        \(head)")
            let signatures = keyChecked ? "signatures checked" : "signatures not checked (no public key)"
            print("checkpoints: \(checkpoints) (\(signatures))\(badCheckpoints.isEmpty ? "" : "; bad at records \(badCheckpoints.map(String.init).joined(separator: ", "))")")
            if let firstBroken { print("first broken record: \(firstBroken)") }
            print(valid ? "valid" : "INVALID")
            if !valid { Foundation.exit(1) }
        }
    }
}
