// Every error is RFC 9457 problem+json, including the framework's own (docs/architecture.md §5).

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ServiceRuntime
import Testing
import TestSupport

/// Routes that fail in each way a handler can.
enum FailingRoutesService: RegistryService {
    static let descriptor = ServiceDescriptor(name: "failing-routes", summary: "test", defaultPort: 0)
    struct Body: Decodable { let name: String }
    struct Internal: Error, CustomStringConvertible { var description: String { "secret internal detail /var/lib/x.sqlite" } }

    static func parts(in environment: ServiceEnvironment) throws -> ServiceParts {
        ServiceParts(routes: { routes in
            routes.add(.post, "/echo") { request, context -> String in
                try await request.decode(as: Body.self, context: context).name
            }
            routes.add(.get, "/broken") { _, _ -> String in throw Internal() }
        })
    }
}

@Suite(.timeLimit(.minutes(2))) struct ProblemDetailsTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let method: HTTPRequest.Method
        let path: String
        let body: [UInt8]?
        let status: Int
        let detail: String
        var testDescription: String { name }
    }

    static let cases = [
        Case(name: "unknown path", method: .get, path: "/nothing/here", body: nil, status: 404, detail: "There is nothing at /nothing/here."),
        Case(name: "body over 1 MiB", method: .post, path: "/echo", body: Array(repeating: 0x20, count: (1 << 20) + 1), status: 413, detail: "larger than this service accepts"),
        Case(name: "not JSON", method: .post, path: "/echo", body: Array("{".utf8), status: 400, detail: "The body is not valid"),
        Case(name: "missing field", method: .post, path: "/echo", body: Array("{}".utf8), status: 400, detail: "name: missing required field"),
        Case(name: "unexpected failure", method: .get, path: "/broken", body: nil, status: 500, detail: "has been logged"),
    ]

    @Test func everyErrorIsProblemJSONWithTheDesignFields() async throws {
        let application = try await TestApplication.make(FailingRoutesService.self)
        try await application.http.test(.live) { client in
            for c in Self.cases {
                let body = c.body.map { ByteBuffer(bytes: $0) }
                try await client.execute(uri: c.path, method: c.method, headers: [.contentType: "application/json"], body: body) { response in
                    #expect(Int(response.status.code) == c.status, "\(c.name)")
                    #expect(response.headers[.contentType] == "application/problem+json", "\(c.name)")
                    let problem = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] ?? [:]
                    #expect(Set(problem.keys) == ["type", "title", "status", "detail"], "\(c.name)")
                    #expect(problem["status"] as? Int == c.status, "\(c.name)")
                    let detail = problem["detail"] as? String ?? ""
                    #expect(detail.contains(c.detail), "\(c.name): \(detail)")
                    #expect(!detail.contains("sqlite"), "\(c.name): no internals")
                }
            }
        }
        print("problem details: \(Self.cases.count) kinds of failure, each application/problem+json with type, title, status, detail")
    }
}
