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
            Prints the token alone on standard output, for use as: -H "Authorization: Bearer $(registryctl token …)"
            """)

    @Option(help: "citizen, agency, upstream, auditor or operator.")
    var role: Role

    @Option(help: "The subject: an IIN for citizens, a BIN or system name otherwise.")
    var sub: String

    @Option(help: "Space-separated scopes, e.g. \"address:read residents:read\".")
    var scope: String?

    @Option(help: "The organisation's display name.")
    var org: String?

    @Option(help: "Lifetime in seconds.")
    var ttl: Int = 3600

    @Option(help: "The HS256 secret (default: $REGISTRY_JWT_SECRET).")
    var secret: String?

    func validate() throws {
        guard ttl > 0 else { throw ValidationError("--ttl must be positive") }
    }

    func run() async throws {
        print(try await Self.mint(role: role, sub: sub, scope: scope, org: org, ttl: ttl, secret: secret))
    }

    /// A development token signed with `secret` or `$REGISTRY_JWT_SECRET`.
    static func mint(role: Role, sub: String, scope: String? = nil, org: String? = nil, ttl: Int = 3600, secret: String? = nil) async throws -> String {
        guard let secret = secret ?? ProcessInfo.processInfo.environment["REGISTRY_JWT_SECRET"], !secret.isEmpty else {
            throw ValidationError("no secret: set REGISTRY_JWT_SECRET or pass --secret")
        }
        guard secret.utf8.count >= 32 else {
            throw ValidationError("the secret must be at least 32 bytes long, as the services require")
        }
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        let now = Date()
        let claims = RegistryTokenClaims(sub: sub, role: role, scope: scope, org: org, expires: now.addingTimeInterval(TimeInterval(ttl)), issued: now)
        return try await keys.sign(claims)
    }
}

extension Role: ExpressibleByArgument {}
