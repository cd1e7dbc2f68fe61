// Each service executable starts, documents its configuration, serves /health/live on its
// port and stops cleanly on SIGTERM and SIGINT — as real processes.

import Foundation
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3))) struct ServiceProcessTests {
    static let services = [
        ("registration-intake", 8081), ("address-index", 8082), ("notification", 8083), ("audit", 8084),
    ]

    static func environment(port: Int) throws -> [String: String] {
        [
            "HTTP_PORT": "\(port)", "DATA_DIR": NSTemporaryDirectory() + UUID().uuidString, "REGISTRY_JWT_SECRET": "test-secret-0123456789-0123456789-abc",
            "AUDIT_SIGNING_KEY_FILE": try TestSecrets.auditSigningKeyFile(),
        ]
    }

    @Test(arguments: services)
    func helpListsEveryConfigurationVariable(service: String, port: Int) async throws {
        let child = try ChildProcess(service, arguments: ["--help"])
        #expect(await child.waitForExit(timeout: .seconds(10)) == 0)
        let help = child.output
        for variable in ["KAFKA_BOOTSTRAP_SERVERS", "KAFKA_*", "REGISTRY_TOPIC_PREFIX", "DATA_DIR", "HTTP_HOST", "HTTP_PORT",
                         "REGISTRY_JWT_SECRET", "REGISTRY_JWT_JWKS_FILE", "LOG_LEVEL"] {
            #expect(help.contains(variable), "\(service) --help does not mention \(variable)")
        }
        #expect(help.contains("(default: \(port))"))
    }

    @Test(arguments: services, [SIGTERM, SIGINT])
    func servesHealthAndStopsCleanlyOnSignal(service: (String, Int), signal: Int32) async throws {
        let port = try ChildProcess.freePort()
        let child = try ChildProcess(service.0, environment: try Self.environment(port: port))
        try await waitUntil("\(service.0) answers /health/live", timeout: .seconds(30)) {
            await httpGet("http://127.0.0.1:\(port)/health/live")?.status == 200
        }
        child.signal(signal)
        let status = await child.waitForExit(timeout: .seconds(15))
        #expect(status == 0, "\(service.0) did not stop cleanly: \(child.output)")
    }

    @Test func aBadValueNamesTheVariableAndExitsNonZero() async throws {
        var environment = try Self.environment(port: 1)
        environment["HTTP_PORT"] = "eighty"
        let child = try ChildProcess("audit", environment: environment)
        let status = await child.waitForExit(timeout: .seconds(10))
        #expect(status == 78)
        #expect(child.output.contains("HTTP_PORT"))
        #expect(child.output.contains("eighty"))
    }

    @Test func withoutATokenKeyTheServiceRefusesToStartAndSaysWhichVariables() async throws {
        var environment = try Self.environment(port: 1)
        environment["REGISTRY_JWT_SECRET"] = ""
        let child = try ChildProcess("address-index", environment: environment)
        #expect(await child.waitForExit(timeout: .seconds(10)) == 78)
        #expect(child.output.contains("REGISTRY_JWT_SECRET"))
        #expect(child.output.contains("REGISTRY_JWT_JWKS_FILE"))
    }

    @Test func anUnknownArgumentIsAUsageError() async throws {
        let child = try ChildProcess("notification", arguments: ["--frobnicate"])
        #expect(await child.waitForExit(timeout: .seconds(10)) == 64)
        #expect(child.output.contains("--help"))
    }
}
