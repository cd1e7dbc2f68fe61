// POSTs a signed delivery over a pooled HTTP client.

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RegistrySchema

/// Sends webhook requests with async-http-client: pooled keep-alive connections, a connect and a
/// whole-request timeout, no redirects (a receiver that moves must update its subscription).
final class WebhookSender: Sendable {
    private let client: HTTPClient
    /// The limit on one attempt (`WEBHOOK_TIMEOUT`).
    let timeout: Duration

    init(timeout: Duration) {
        self.timeout = timeout
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .milliseconds(min(timeout.milliseconds, 5_000)), read: .milliseconds(timeout.milliseconds)),
            connectionPool: .init(idleTimeout: .seconds(60)))
        configuration.httpVersion = .http1Only
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// POSTs `body` (a CloudEvent) to `url` with the signing headers.
    func post(_ url: String, body: [UInt8], headers: [(name: String, value: String)]) async -> AttemptResult {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: CloudEventsContentType.structuredJSON)
        request.headers.add(name: "user-agent", value: "address-registry-notification")
        for header in headers { request.headers.add(name: header.name, value: header.value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: .milliseconds(timeout.milliseconds))
            // Read (and drop) the answer so the connection can be reused.
            for try await _ in response.body {}
            return .answered(Int(response.status.code))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            return .failed("no answer within \(timeout)")
        } catch {
            return .failed(String(describing: error).prefix(300).description)
        }
    }

    /// Closes the pooled connections.
    func shutdown() async {
        try? await client.shutdown()
    }
}
