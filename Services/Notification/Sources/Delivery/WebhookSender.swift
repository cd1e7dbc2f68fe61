// POSTs a signed delivery over a pooled HTTP client.

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import RegistrySchema

/// Sends webhook requests with async-http-client: pooled keep-alive connections, a connect and a
/// whole-request timeout, no redirects (a receiver that moves must update its subscription).
final class WebhookSender: Sendable {
    private let client: HTTPClient
    /// The limit on one attempt (`WEBHOOK_TIMEOUT`).
    let timeout: Duration

    /// - Parameter connectionsPerReceiver: Pooled connections per host, matched to the engine's
    ///   per-receiver limit so no admitted attempt waits for a connection inside the client.
    static let refusedAddress = "the receiver's address is not allowed (loopback, private or other special-purpose)"

    init(timeout: Duration, connectionsPerReceiver: Int, resolver: any WebhookResolver = SystemResolver(), allowLocal: Bool) {
        self.timeout = timeout
        var pool = HTTPClient.Configuration.ConnectionPool(idleTimeout: .seconds(60))
        pool.concurrentHTTP1ConnectionsPerHostSoftLimit = connectionsPerReceiver
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .milliseconds(min(timeout.milliseconds, 5_000)), read: .milliseconds(timeout.milliseconds)),
            connectionPool: pool)
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
        } catch {
            return .failed(Self.reason(error))
        }
    }

    /// A coarse reason an agency may see: enough to act on, not a probe of the network behind us.
    static func reason(_ error: any Error) -> String {
        if let error = error as? HTTPClientError, error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            return "no answer in time"
        }
        let text = String(describing: error)
        if text.contains("refused") || text.contains("NIOConnectionError") || error is HTTPClientError && (error as! HTTPClientError) == .remoteConnectionClosed {
            return "could not connect"
        }
        if text.localizedCaseInsensitiveContains("ssl") || text.localizedCaseInsensitiveContains("tls") || text.contains("certificate") {
            return "TLS handshake failed"
        }
        return "request failed"
    }

    /// Closes the pooled connections.
    func shutdown() async {
        try? await client.shutdown()
    }
}

/// Finds the addresses of a webhook's host: the system resolver in service, one the test
/// controls in tests.
protocol WebhookResolver: Sendable {
    /// Every address `host` resolves to, in the order to try them.
    func addresses(of host: String) async throws -> [ReceiverAddress]
}

/// `getaddrinfo`, on NIO's blocking-work pool (it blocks), as async-http-client would use it.
struct SystemResolver: WebhookResolver {
    struct Failure: Error {}

    func addresses(of host: String) async throws -> [ReceiverAddress] {
        try await NIOThreadPool.singleton.runIfActive { try Self.lookUp(host) }
    }

    static func lookUp(_ host: String) throws -> [ReceiverAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { throw Failure() }
        defer { freeaddrinfo(first) }
        var found: [ReceiverAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let address = entry.pointee.ai_addr.flatMap({ ReceiverAddress(UnsafePointer($0)) }), !found.contains(address) { found.append(address) }
            cursor = entry.pointee.ai_next
        }
        return found
    }
}
