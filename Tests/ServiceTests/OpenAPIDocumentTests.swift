// Each service's /openapi.json describes exactly the routes it serves (docs/architecture.md §5).

import AddressIndex
import Audit
import Foundation
import HummingbirdTesting
import Notification
import RegistrationIntake
import ServiceRuntime
import Testing
import TestSupport

/// One service whose document is checked.
struct DocumentedService: Sendable, CustomTestStringConvertible {
    let name: String
    let application: @Sendable () async throws -> ServiceApplication
    var testDescription: String { name }

    static func of<S: RegistryService>(_ service: S.Type) -> DocumentedService {
        DocumentedService(name: S.descriptor.name) { try await TestApplication.make(S.self) }
    }
}

/// What the document and the routes disagree on.
struct DocumentMismatch: Equatable, CustomStringConvertible {
    var undocumented: Set<RouteDescription.Operation> = []
    var unrouted: Set<RouteDescription.Operation> = []
    var securityDiffers: Set<RouteDescription.Operation> = []

    init(_ application: ServiceApplication) {
        let routes = application.routes.routes
        let routed = Set(routes.map(\.operation))
        undocumented = routed.subtracting(application.openAPI.operations)
        unrouted = application.openAPI.operations.subtracting(routed)
        let guarded = Set(routes.filter(\.guarded).map(\.operation))
        securityDiffers = guarded.symmetricDifference(application.openAPI.securedOperations).intersection(routed)
    }

    var isEmpty: Bool { undocumented.isEmpty && unrouted.isEmpty && securityDiffers.isEmpty }

    var description: String {
        "undocumented routes: \(undocumented.sorted { $0.description < $1.description }); "
            + "documented but not routed: \(unrouted.sorted { $0.description < $1.description }); "
            + "bearer requirement differs: \(securityDiffers.sorted { $0.description < $1.description })"
    }
}

@Suite(.timeLimit(.minutes(3))) struct OpenAPIDocumentTests {
    static let services: [DocumentedService] = [
        .of(RegistrationIntakeService.self), .of(AddressIndexService.self), .of(NotificationService.self), .of(AuditService.self),
    ]

    @Test(arguments: services) func theServedDocumentDescribesExactlyTheRoutes(_ service: DocumentedService) async throws {
        let application = try await service.application()
        let mismatch = DocumentMismatch(application)
        #expect(mismatch.isEmpty, "\(service.name): \(mismatch)")
        try await application.http.test(.live) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                let document = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                #expect(document["openapi"] as? String == "3.1.0")
                #expect((document["info"] as? [String: Any])?["title"] as? String == service.name)
                let paths = try #require(document["paths"] as? [String: Any])
                #expect(Set(paths.keys) == Set(application.openAPI.operations.map(\.path)))
            }
        }
        print("openapi: \(service.name) documents \(application.openAPI.operations.count) operations, exactly its routes")
    }

    /// The comparison is not vacuous: a route missing from the document is found.
    @Test func anUndocumentedRouteIsReported() async throws {
        let application = try await TestApplication.make(GuardedProbeService.self)
        let mismatch = DocumentMismatch(application)
        #expect(mismatch.undocumented == [RouteDescription.Operation(method: "GET", path: "/v1/persons/{iin}/registration")])
        #expect(mismatch.unrouted.isEmpty)
    }
}
