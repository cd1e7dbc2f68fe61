// The generated Swift clients (product RegistryClient) against real services over real HTTP.

import AddressIndex
import AddressIndexClient
import Foundation
import HTTPTypes
import JWTKit
import Notification
import NotificationClient
import OpenAPIRuntime
import RegistryClient
import ServiceRuntime
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3))) struct RegistryClientTests {
    func token(_ role: Role, scope: String? = nil) async throws -> String {
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: TestSecrets.jwt), digestAlgorithm: .sha256)
        return try await keys.sign(RegistryTokenClaims(sub: "123456789012", role: role, scope: scope, org: "Client test", expires: Date().addingTimeInterval(600)))
    }

    @Test func anAgencySubscribesListsAndUnsubscribesThroughTheGeneratedClient() async throws {
        let application = try await TestApplication.make(NotificationService.self)
        let token = try await token(.agency, scope: "address:read subscriptions:write")
        try await application.http.test(.live) { server in
            let client = RegistryClients.notification(URL(string: "http://127.0.0.1:\(try #require(server.port))")!, token: token)
            let purpose = "pension payments"
            let created = try await client.createSubscription(
                headers: .init(xPurpose: purpose),
                body: .json(.init(
                    delivery: .init(_type: .init(unvalidatedValue: "webhook"), url: "https://receiver.agency.example/hook"),
                    filter: .init(changes: [.moved], katoPrefixes: ["79"]))))
            let subscription = try created.created.body.json
            #expect(subscription.filter.katoPrefixes == ["79"] && subscription.filter.changes == [.moved])

            let listed = try await client.listSubscriptions(headers: .init(xPurpose: purpose))
            #expect(try listed.ok.body.json.subscriptions.map(\.id) == [subscription.id])

            _ = try await client.deleteSubscription(path: .init(id: subscription.id), headers: .init(xPurpose: purpose))
            let afterwards = try await client.listSubscriptions(headers: .init(xPurpose: purpose))
            #expect(try afterwards.ok.body.json.subscriptions.isEmpty)
            print("generated client: created, listed and deleted \(subscription.id) over HTTP with the bearer token and X-Purpose")
        }
    }

    @Test func theIndexClientSeesTheAnswersTheDocumentDescribes() async throws {
        let application = try await TestApplication.make(AddressIndexService.self)
        let withoutScope = try await token(.agency, scope: "subscriptions:write")
        try await application.http.test(.live) { server in
            let client = RegistryClients.addressIndex(URL(string: "http://127.0.0.1:\(try #require(server.port))")!, token: withoutScope)
            let refused = try await client.registration(path: .init(iin: "010310600175"), headers: .init(xPurpose: "school enrolment"))
            guard case .forbidden = refused else {
                Issue.record("an agency without address:read is refused: \(refused)")
                return
            }
            let keys = try await client.jwks()
            #expect(try keys.ok.body.applicationJwkSetJson.value["keys"] != nil)
        }
    }

    @Test func theMiddlewareSendsTheTokenAndThePurposeAsWritten() async throws {
        let purpose = HTTPField.Name("X-Purpose")!
        for (given, sent) in [("pension%20payments", "pension payments"), ("%D0%BF%D0%B5%D0%BD%D1%81%D0%B8%D1%8F", "%D0%BF%D0%B5%D0%BD%D1%81%D0%B8%D1%8F")] {
            var request = HTTPRequest(method: .get, scheme: "http", authority: "index", path: "/")
            request.headerFields[purpose] = given
            _ = try await BearerTokenMiddleware(token: "t0ken").intercept(request, body: nil, baseURL: URL(string: "http://index")!, operationID: "registration") { request, _, _ in
                #expect(request.headerFields[.authorization] == "Bearer t0ken")
                #expect(request.headerFields[purpose] == sent, "ASCII purposes as written, others stay percent-encoded")
                return (HTTPResponse(status: .ok), nil)
            }
        }
    }

    @Test func timestampsWithAndWithoutFractionalSecondsDecode() throws {
        let transcoder = RFC3339DateTranscoder()
        let whole = try transcoder.decode("2026-11-25T09:00:00Z")
        let fraction = try transcoder.decode("2026-11-25T09:00:00.25Z")
        #expect(fraction.timeIntervalSince(whole) == 0.25)
        #expect(try transcoder.decode(try transcoder.encode(fraction)) == fraction)
        #expect(throws: DecodingError.self) { try transcoder.decode("25.11.2026") }
    }
}
