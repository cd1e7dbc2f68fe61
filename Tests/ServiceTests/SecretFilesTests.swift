// Every secret can come from a file (<NAME>_FILE), as container platforms mount them.

import Foundation
import JWTKit
import ServiceRuntime
import Testing
import TestSupport

@Suite struct SecretFilesTests {
    let secret = ConfigurationVariable("REGISTRY_JWT_SECRET", default: nil, "", secret: true)
    let keyPath = ConfigurationVariable("AUDIT_SIGNING_KEY_FILE", default: nil, "", secret: true)

    func file(_ contents: String) throws -> String {
        let path = NSTemporaryDirectory() + "secret-" + UUID().uuidString
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func aFileStandsForTheVariableWithoutItsTrailingLineBreak() throws {
        let resolved = try SecretFiles.resolve(
            ["REGISTRY_JWT_SECRET_FILE": try file("from-a-file\n"), "KAFKA_SASL_PASSWORD_FILE": try file("kafka\r\n"), "HTTP_PORT": "1"],
            secrets: [secret])
        #expect(resolved == ["REGISTRY_JWT_SECRET": "from-a-file", "KAFKA_SASL_PASSWORD": "kafka", "HTTP_PORT": "1"])
    }

    @Test func bothFormsAnUnreadableFileOrAnEmptyOneAreRefusedNamingTheVariable() throws {
        let both = #expect(throws: ConfigurationError.self) {
            try SecretFiles.resolve(["REGISTRY_JWT_SECRET": "x", "REGISTRY_JWT_SECRET_FILE": try file("y")], secrets: [secret])
        }
        #expect(both?.variable == "REGISTRY_JWT_SECRET_FILE")
        let missing = #expect(throws: ConfigurationError.self) {
            try SecretFiles.resolve(["REGISTRY_JWT_SECRET_FILE": "/nonexistent/secret"], secrets: [secret])
        }
        #expect(missing?.problem.contains("/nonexistent/secret") == true)
        #expect(throws: ConfigurationError.self) { try SecretFiles.resolve(["REGISTRY_JWT_SECRET_FILE": try file("\n")], secrets: [secret]) }
    }

    @Test func variablesThatAreFilePathsAlreadyAndOrdinaryOnesGetNoFileForm() {
        let names = SecretFiles.names(in: [secret, keyPath, ConfigurationVariable("HTTP_PORT", default: "1", "")])
        #expect(names.contains("REGISTRY_JWT_SECRET"))
        #expect(!names.contains("AUDIT_SIGNING_KEY_FILE"))
        #expect(!names.contains("HTTP_PORT"))
        #expect(names.contains("KAFKA_SASL_PASSWORD"))
    }

    /// A real service process started with only REGISTRY_JWT_SECRET_FILE verifies tokens signed
    /// with the file's secret.
    @Test(.timeLimit(.minutes(2))) func aServiceStartsWithItsJWTSecretFromAFile() async throws {
        let jwt = "a-secret-read-from-a-file-0123456789abcdef"
        let port = try ChildProcess.freePort()
        let child = try ChildProcess("audit", environment: [
            "HTTP_PORT": "\(port)", "DATA_DIR": NSTemporaryDirectory() + UUID().uuidString, "REGISTRY_DEV_MODE": "true",
            "REGISTRY_JWT_SECRET": "", "REGISTRY_JWT_SECRET_FILE": try file(jwt + "\n"),
        ])
        defer { Task { await child.kill() } }
        try await waitUntil("audit answers /health/live", timeout: .seconds(30)) {
            await httpGet("http://127.0.0.1:\(port)/health/live")?.status == 200
        }
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: jwt), digestAlgorithm: .sha256)
        let token = try await keys.sign(RegistryTokenClaims(sub: "prometheus", role: .operator, scope: nil, org: nil, expires: Date().addingTimeInterval(600)))
        #expect(await httpGet("http://127.0.0.1:\(port)/metrics", headers: ["Authorization": "Bearer \(token)"])?.status == 200)
    }
}
