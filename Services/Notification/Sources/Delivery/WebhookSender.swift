// POSTs a signed delivery over a pooled HTTP client, to an address checked just before.

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import RegistrySchema
import Synchronization

/// Sends webhook requests with async-http-client: pooled keep-alive connections, a connect and a
/// whole-request timeout, no redirects (a receiver that moves must update its subscription).
///
/// Every attempt first resolves the receiver's host through a ``WebhookResolver`` and checks
/// every address it gets (``ReceiverAddress/isPublic``); unless `WEBHOOK_ALLOW_LOCAL` is on, one
/// special-purpose address among them refuses the attempt with ``refusedAddress``, whatever the
/// form of the URL (`2130706433`, `127.1`, `[::ffff:7f00:1]`, a name that resolves to 10.0.0.7,
/// a name that resolves differently from one lookup to the next). The request then goes to the
/// first checked address and nowhere else: async-http-client has no resolver hook, but its
/// `dnsOverride` maps a host to a fixed address while TLS still checks the certificate against
/// the host name (SNI), so each (host, address) pair gets a client of its own with that one
/// override, and no second lookup can take the connection elsewhere (DNS rebinding).
final class WebhookSender: Sendable {
    /// The error an attempt records when the receiver's address is refused: one text for every
    /// kind of refusal, so a subscription cannot be used to map our network.
    static let refusedAddress = "the receiver's address is not allowed (loopback, private or other special-purpose)"

    private struct Pin: Hashable {
        let host: String
        let address: ReceiverAddress
    }

    private struct PinnedClient {
        let client: HTTPClient
        var inFlight: Int
        var lastUsed: ContinuousClock.Instant
    }

    /// The limit on one attempt (`WEBHOOK_TIMEOUT`).
    let timeout: Duration
    private let connectionsPerReceiver: Int
    private let resolver: any WebhookResolver
    /// `WEBHOOK_ALLOW_LOCAL`: every address is allowed (development and tests).
    private let allowLocal: Bool
    private let clients = Mutex<[Pin: PinnedClient]>([:])
    /// A client unused this long (and idle) is closed.
    private static let idleClient = Duration.seconds(120)

    /// - Parameter connectionsPerReceiver: Pooled connections per host, matched to the engine's
    ///   per-receiver limit so no admitted attempt waits for a connection inside the client.
    init(timeout: Duration, connectionsPerReceiver: Int, resolver: any WebhookResolver = SystemResolver(), allowLocal: Bool) {
        self.timeout = timeout
        self.connectionsPerReceiver = connectionsPerReceiver
        self.resolver = resolver
        self.allowLocal = allowLocal
    }

    /// POSTs `body` (a CloudEvent) to `url` with the signing headers.
    func post(_ url: String, body: [UInt8], headers: [(name: String, value: String)]) async -> AttemptResult {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
            var host = parsed.host, !host.isEmpty
        else { return .failed("request failed") }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        // localhost names are loopback whatever a resolver says (RFC 6761), with or without the dot.
        guard allowLocal || !SubscriptionRequest.namesSpecialAddress(host) else { return .failed(Self.refusedAddress) }
        let addresses: [ReceiverAddress]
        if let literal = ReceiverAddress.literal(host) {
            addresses = [literal]
        } else {
            do { addresses = try await resolver.addresses(of: host) } catch { return .failed("could not resolve the receiver's name") }
        }
        guard let pinned = addresses.first else { return .failed("could not resolve the receiver's name") }
        guard allowLocal || addresses.allSatisfy(\.isPublic) else { return .failed(Self.refusedAddress) }

        let pin = Pin(host: host, address: pinned)
        let client = acquire(pin)
        defer { release(pin) }
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

    /// The client pinned to `pin`, made on first use; idle ones of other pins are closed.
    private func acquire(_ pin: Pin) -> HTTPClient {
        let now = ContinuousClock.now
        let (client, idle) = clients.withLock { clients -> (HTTPClient, [HTTPClient]) in
            let stale = clients.filter { $0.key != pin && $0.value.inFlight == 0 && now - $0.value.lastUsed > Self.idleClient }
            for key in stale.keys { clients[key] = nil }
            var entry = clients[pin] ?? PinnedClient(client: makeClient(pin), inFlight: 0, lastUsed: now)
            entry.inFlight += 1
            entry.lastUsed = now
            clients[pin] = entry
            return (entry.client, stale.values.map(\.client))
        }
        for old in idle { Task { try? await old.shutdown() } }
        return client
    }

    private func release(_ pin: Pin) {
        clients.withLock { clients in
            clients[pin]?.inFlight -= 1
            clients[pin]?.lastUsed = .now
        }
    }

    private func makeClient(_ pin: Pin) -> HTTPClient {
        var pool = HTTPClient.Configuration.ConnectionPool(idleTimeout: .seconds(60))
        pool.concurrentHTTP1ConnectionsPerHostSoftLimit = connectionsPerReceiver
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .milliseconds(min(timeout.milliseconds, 5_000)), read: .milliseconds(timeout.milliseconds)),
            connectionPool: pool)
        configuration.httpVersion = .http1Only
        configuration.dnsOverride = [pin.host: pin.address.description]
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
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

    /// Closes every pooled connection.
    func shutdown() async {
        let all = clients.withLock { clients -> [HTTPClient] in
            defer { clients = [:] }
            return clients.values.map(\.client)
        }
        for client in all { try? await client.shutdown() }
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

    /// Hand-written on libc rather than through a library: NIO's public resolver
    /// (`SocketAddress.makeAddressResolvingHost`) returns only the first answer, and the SSRF check
    /// must see every address a name resolves to (a mixed answer is refused).
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
