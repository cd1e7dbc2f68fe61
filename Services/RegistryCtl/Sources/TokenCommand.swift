// registryctl token: development JWTs.

import ArgumentParser
import Foundation
import JWTKit
import ServiceRuntime

/// Mints an HS256 access token signed with `REGISTRY_JWT_SECRET`, for development and tests.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Mint a development access token (HS256, signed with $REGISTRY_JWT_SECRET).",
        discussion: """
            Example: registryctl token --role agency --sub 123456789012 --scope "address:read" --org "School No. 5"
                     registryctl token --role upstream --sub egov-portal --source /egov/portal
            Prints the token alone on standard output, for use as: -H "Authorization: Bearer $(registryctl token …)"
            The secret comes from $REGISTRY_JWT_SECRET, $REGISTRY_JWT_SECRET_FILE or --secret-file, never from
            the command line (where ps and the shell history would show it). iss and aud default to
            $REGISTRY_JWT_ISSUER and $REGISTRY_JWT_AUDIENCE, else "registryctl" and "address-registry".
            """)

    @Option(help: "citizen, agency, upstream, auditor or operator.")
    var role: Role

    @Option(help: "The subject: an IIN for citizens, a BIN or system name otherwise.")
    var sub: String

    @Option(help: "Space-separated scopes of an agency: \(Scope.allCases.map(\.rawValue).joined(separator: ", ")).")
    var scope: String?

    @Option(help: "The organisation's display name.")
    var org: String?

    @Option(help: "Lifetime in seconds (services refuse more than REGISTRY_JWT_MAX_LIFETIME, default 24 h).")
    var ttl: Int = 3600

    @Option(name: .customLong("source"), help: "For --role upstream: a CloudEvent source it may submit under (repeat for more; a trailing / makes a prefix).")
    var sources: [String] = []

    @Option(help: "The iss claim (default: $REGISTRY_JWT_ISSUER, else registryctl).")
    var iss: String?

    @Option(help: "The aud claim (default: $REGISTRY_JWT_AUDIENCE, else address-registry).")
    var aud: String?

    @Option(help: "A file holding the HS256 secret (default: $REGISTRY_JWT_SECRET or $REGISTRY_JWT_SECRET_FILE).")
    var secretFile: String?

    func validate() throws {
        guard ttl > 0 else { throw ValidationError("--ttl must be positive") }
        if role == .upstream && sources.isEmpty {
            throw ValidationError("an upstream token needs --source: the CloudEvent sources it may submit under (e.g. --source /egov/portal)")
        }
        if role != .upstream && !sources.isEmpty { throw ValidationError("--source is only for --role upstream") }
        // A misspelt scope would mint a token every route refuses, with nothing saying why.
        let unknown = (scope ?? "").split(separator: " ").filter { Scope(rawValue: String($0)) == nil }
        if !unknown.isEmpty {
            throw ValidationError(
                "unknown scope \(unknown.map { "'\($0)'" }.joined(separator: ", ")); the scopes are \(Scope.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        var environment = ProcessInfo.processInfo.environment
        if let secretFile {
            environment["REGISTRY_JWT_SECRET"] = nil
            environment["REGISTRY_JWT_SECRET_FILE"] = secretFile
        }
        print(try await Self.mint(
            role: role, sub: sub, scope: scope, org: org, ttl: ttl, sources: sources.isEmpty ? nil : sources, issuer: iss, audience: aud,
            environment: environment))
    }

    /// A development token signed with the secret of `environment` (`REGISTRY_JWT_SECRET` or the
    /// file `REGISTRY_JWT_SECRET_FILE` names).
    static func mint(
        role: Role, sub: String, scope: String? = nil, org: String? = nil, ttl: Int = 3600, sources: [String]? = nil, issuer: String? = nil,
        audience: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> String {
        let variables = CommonConfiguration.variables(service: "registryctl", port: 0)
        let reader = EnvironmentReader(environment: environment, secrets: variables)
        do { try reader.checkSecretFiles() } catch { throw ValidationError("\(error)") }
        guard let secret = reader.environment["REGISTRY_JWT_SECRET"], !secret.isEmpty else {
            throw ValidationError("no secret: set REGISTRY_JWT_SECRET or REGISTRY_JWT_SECRET_FILE, or pass --secret-file")
        }
        guard secret.utf8.count >= 32 else {
            throw ValidationError("the secret must be at least 32 bytes long, as the services require")
        }
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        let now = Date()
        let claims = RegistryTokenClaims(
            sub: sub, role: role, scope: scope, org: org, expires: now.addingTimeInterval(TimeInterval(ttl)), issued: now,
            issuer: issuer ?? environment["REGISTRY_JWT_ISSUER"].flatMap { $0.isEmpty ? nil : $0 } ?? "registryctl",
            audience: [audience ?? environment["REGISTRY_JWT_AUDIENCE"].flatMap { $0.isEmpty ? nil : $0 } ?? "address-registry"], sources: sources)
        return try await keys.sign(claims)
    }
}

extension Role: ExpressibleByArgument {}
