// Token configuration at start: the published development secret, secrets from files, and
// registryctl token's claims and where it takes its secret from (docs/architecture.md §5.1, §7).

import Foundation
import JWTKit
import Testing
import TestSupport
@testable import ServiceRuntime

@Suite(.timeLimit(.minutes(2))) struct TokenConfigurationTests {
    static let variables = CommonConfiguration.variables(service: "probe", port: 1)

    static func configuration(_ environment: [String: String]) throws -> CommonConfiguration {
        try CommonConfiguration(reader: EnvironmentReader(environment: environment, secrets: variables), service: "probe", port: 1)
    }

    static func file(_ contents: String) throws -> String {
        let path = NSTemporaryDirectory() + "secret-" + UUID().uuidString
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func thePublishedDevelopmentSecretIsRefusedOutsideDevelopmentMode() async throws {
        let published = CommonConfiguration.publishedDevelopmentSecret
        await #expect {
            _ = try await ServiceMain.tokenVerifier(try Self.configuration(["REGISTRY_JWT_SECRET": published]))
        } throws: { error in
            let text = "\(error)"
            return text.contains("REGISTRY_JWT_SECRET") && text.contains("development secret") && text.contains("REGISTRY_DEV_MODE")
        }
        _ = try await ServiceMain.tokenVerifier(try Self.configuration(["REGISTRY_JWT_SECRET": published, "REGISTRY_DEV_MODE": "true"]))
        _ = try await ServiceMain.tokenVerifier(try Self.configuration(["REGISTRY_JWT_SECRET": TestSecrets.jwt]))
    }

    @Test func aServiceStartedWithThePublishedSecretExitsWithAConfigurationError() async throws {
        let child = try ChildProcess("notification", environment: [
            "HTTP_PORT": "\(try ChildProcess.freePort())", "DATA_DIR": NSTemporaryDirectory() + UUID().uuidString,
            "REGISTRY_JWT_SECRET": CommonConfiguration.publishedDevelopmentSecret, "REGISTRY_DEV_MODE": "false",
        ])
        let status = await child.waitForExit(timeout: .seconds(20))
        if status == nil { await child.kill() }
        #expect(status == 78, "\(child.output)")
        #expect(child.output.contains("development secret"), "\(child.output)")
    }

    @Test func secretsAreReadFromTheirFileVariables() throws {
        let path = try Self.file(TestSecrets.jwt + "\n")
        let configuration = try Self.configuration(["REGISTRY_JWT_SECRET_FILE": path])
        #expect(configuration.jwtSecret == TestSecrets.jwt, "the file's contents without the trailing newline")
        #expect(throws: ConfigurationError.self) { try Self.configuration(["REGISTRY_JWT_SECRET_FILE": path, "REGISTRY_JWT_SECRET": TestSecrets.jwt]) }
        #expect {
            try Self.configuration(["REGISTRY_JWT_SECRET_FILE": "/nonexistent/secret"])
        } throws: { "\($0)".contains("REGISTRY_JWT_SECRET_FILE") && "\($0)".contains("/nonexistent/secret") }
    }

    @Test func tokenRulesComeFromTheEnvironment() throws {
        let configuration = try Self.configuration([
            "REGISTRY_JWT_SECRET": TestSecrets.jwt, "REGISTRY_JWT_MAX_LIFETIME": "2h", "REGISTRY_JWT_ISSUER": "https://idp.example",
            "REGISTRY_JWT_AUDIENCE": "address-registry",
        ])
        #expect(configuration.tokenRules == TokenRules(maxLifetime: 7200, issuer: "https://idp.example", audience: "address-registry"))
        #expect(try Self.configuration([:]).tokenRules == TokenRules(maxLifetime: 86_400))
        #expect(throws: ConfigurationError.self) { try Self.configuration(["REGISTRY_JWT_MAX_LIFETIME": "a day"]) }
    }

    /// The claims of a compact JWS, unverified.
    static func claims(_ token: String) throws -> [String: Any] {
        let payload = try #require(token.split(separator: ".").dropFirst().first)
        let data = try #require(TokenVerifier.decodeSegment(payload))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func registryctlTokenTakesItsSecretFromTheEnvironmentOrAFileNeverFromArguments() async throws {
        let secretFile = try Self.file(TestSecrets.jwt + "\n")
        let fromFile = try ChildProcess("registryctl", arguments: [
            "token", "--role", "upstream", "--sub", "egov-portal", "--source", "/egov/portal", "--source", "/egov/kiosk/",
            "--iss", "https://idp.example", "--aud", "address-registry",
        ], environment: ["REGISTRY_JWT_SECRET": "", "REGISTRY_JWT_SECRET_FILE": secretFile])
        #expect(await fromFile.waitForExit(timeout: .seconds(20)) == 0, "\(fromFile.output)")
        let token = fromFile.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let claims = try Self.claims(token)
        #expect(claims["sources"] as? [String] == ["/egov/portal", "/egov/kiosk/"])
        #expect(claims["iss"] as? String == "https://idp.example")
        #expect(claims["aud"] as? [String] == ["address-registry"] || claims["aud"] as? String == "address-registry")
        let verifier = await TokenVerifier.hs256(secret: TestSecrets.jwt).requiring(TokenRules(issuer: "https://idp.example", audience: "address-registry"))
        let principal = try await verifier.verify(token)
        #expect(principal.sources == ["/egov/portal", "/egov/kiosk/"] && principal.mayUse(source: "/egov/kiosk/12") && !principal.mayUse(source: "/egov/other"))

        // The secret never goes on the command line, where ps and shell history would show it.
        let inArguments = try ChildProcess("registryctl", arguments: ["token", "--role", "auditor", "--sub", "a", "--secret", TestSecrets.jwt])
        #expect(await inArguments.waitForExit(timeout: .seconds(20)) == 64, "\(inArguments.output)")
        // An upstream token without sources could submit nothing: refused with a hint.
        let withoutSources = try ChildProcess("registryctl", arguments: ["token", "--role", "upstream", "--sub", "egov-portal"], environment: ["REGISTRY_JWT_SECRET": TestSecrets.jwt])
        #expect(await withoutSources.waitForExit(timeout: .seconds(20)) == 64, "\(withoutSources.output)")
        #expect(withoutSources.output.contains("--source"), "\(withoutSources.output)")
        // A misspelt scope is refused with the list of scopes.
        let misspelt = try ChildProcess(
            "registryctl", arguments: ["token", "--role", "agency", "--sub", "123456789012", "--scope", "address:read adress:bulk"],
            environment: ["REGISTRY_JWT_SECRET": TestSecrets.jwt])
        #expect(await misspelt.waitForExit(timeout: .seconds(20)) == 64, "\(misspelt.output)")
        #expect(misspelt.output.contains("'adress:bulk'") && misspelt.output.contains("address:bulk"), "\(misspelt.output)")
    }
}
