// The registry's HTTP APIs as Swift clients, with the caller's bearer token on every request.

import AddressIndexClient
import AuditClient
import Foundation
import HTTPTypes
import NotificationClient
import OpenAPIRuntime
import OpenAPIURLSession
import RegistrationIntakeClient

/// Adds `Authorization: Bearer <token>` to every request. The token is asked for per request,
/// so a provider can refresh it before it expires.
///
/// It also undoes the percent-encoding the OpenAPI runtime applies to header values when the
/// result is plain ASCII, so `X-Purpose: pension payments` reaches the registry (and its access
/// log) as written rather than as `pension%20payments`. A purpose with other characters stays
/// percent-encoded, since header values must be ASCII.
public struct BearerTokenMiddleware: ClientMiddleware {
    private let token: @Sendable () async throws -> String

    /// A middleware sending a fixed token.
    public init(token: String) {
        self.token = { token }
    }

    /// A middleware asking `provider` for the token of each request.
    public init(provider: @escaping @Sendable () async throws -> String) {
        self.token = provider
    }

    static let purpose = HTTPField.Name("X-Purpose")!

    public func intercept(
        _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var request = request
        request.headerFields[.authorization] = "Bearer \(try await token())"
        if let purpose = request.headerFields[Self.purpose], let decoded = purpose.removingPercentEncoding, decoded.allSatisfy(\.isASCII) {
            request.headerFields[Self.purpose] = decoded
        }
        return try await next(request, body, baseURL)
    }
}

/// Clients of the four services over URLSession, each sending the token. The operations and
/// their types are generated from docs/api/<service>.openapi.json (see Clients/README.md);
/// agencies pass the legal ground of each request as its `xPurpose` header.
///
/// ```swift
/// let index = RegistryClients.addressIndex(URL(string: "https://index.registry.example")!, token: token)
/// let answer = try await index.registration(path: .init(iin: "010310600175"), headers: .init(xPurpose: "school enrolment"))
/// ```
public enum RegistryClients {
    /// The runtime settings the registry's answers need: its timestamps are RFC 3339 with
    /// fractional seconds only when they are not zero (``RFC3339DateTranscoder``).
    public static let configuration = Configuration(dateTranscoder: RFC3339DateTranscoder())

    /// registration-intake: submissions over HTTP and their status.
    public static func registrationIntake(_ url: URL, token: String, transport: any ClientTransport = URLSessionTransport()) -> RegistrationIntakeClient.Client {
        RegistrationIntakeClient.Client(serverURL: url, configuration: configuration, transport: transport, middlewares: [BearerTokenMiddleware(token: token)])
    }

    /// address-index: registrations, history, batch lookup, residents, certificates.
    public static func addressIndex(_ url: URL, token: String, transport: any ClientTransport = URLSessionTransport()) -> AddressIndexClient.Client {
        AddressIndexClient.Client(serverURL: url, configuration: configuration, transport: transport, middlewares: [BearerTokenMiddleware(token: token)])
    }

    /// notification: subscriptions, deliveries, replay.
    public static func notification(_ url: URL, token: String, transport: any ClientTransport = URLSessionTransport()) -> NotificationClient.Client {
        NotificationClient.Client(serverURL: url, configuration: configuration, transport: transport, middlewares: [BearerTokenMiddleware(token: token)])
    }

    /// audit: subject trails, records, verification, checkpoints.
    public static func audit(_ url: URL, token: String, transport: any ClientTransport = URLSessionTransport()) -> AuditClient.Client {
        AuditClient.Client(serverURL: url, configuration: configuration, transport: transport, middlewares: [BearerTokenMiddleware(token: token)])
    }
}

/// RFC 3339 timestamps with or without fractional seconds (`2026-11-25T09:00:00Z`,
/// `2026-11-25T09:00:00.25Z`), as the registry writes them; the runtime's ISO 8601 transcoder
/// accepts only one of the two forms.
public struct RFC3339DateTranscoder: DateTranscoder {
    public init() {}

    public func encode(_ date: Date) throws -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
    }

    public func decode(_ text: String) throws -> Date {
        if let date = try? Date(text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)) { return date }
        if let date = try? Date(text, strategy: .iso8601) { return date }
        throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "not an RFC 3339 timestamp: \(text)"))
    }
}
