// A webhook endpoint on loopback that records every request and answers as the test scripts it.

import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Synchronization
import TestSupport

/// A real HTTP server in the test process playing an agency's (or a gateway's) receiver.
final class WebhookReceiver: Sendable {
    /// One request as it arrived.
    struct Request: Sendable {
        let id: String
        let timestamp: String
        let signature: String
        let contentType: String
        /// The `Host` header.
        let host: String
        /// The W3C `traceparent` header ("" when absent).
        let traceparent: String
        let body: [UInt8]
        let arrived: ContinuousClock.Instant
        /// How many requests with this `webhook-id` arrived, this one included.
        let arrival: Int
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// How to answer one request.
    enum Answer: Sendable {
        case status(Int)
        /// Wait, then answer (longer than the sender's timeout: a timeout).
        case after(Duration, Int)
    }

    private final class Record: Sendable {
        /// The requests in arrival order, and how many arrived per `webhook-id` (a full-size fault
        /// run sends 200,000: counting by scanning the list made the receiver the bottleneck).
        let requests = Mutex<(list: [Request], perID: [String: Int])>(([], [:]))
        let concurrent = Mutex<(now: Int, most: Int)>((0, 0))
    }

    let port: Int
    private let record = Record()
    private let task: Task<Void, any Error>

    /// Starts listening on a free port.
    /// - Parameters:
    ///   - host: The address to listen on (`::` for IPv6 and IPv4 loopback both).
    ///   - answer: Decides each answer from the request.
    init(host: String = "127.0.0.1", _ answer: @escaping @Sendable (Request) -> Answer = { _ in .status(204) }) async throws {
        let port = try ChildProcess.freePort()
        let record = self.record
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 8 << 20)
            func header(_ name: String) -> String { request.headers[HTTPField.Name(name)!] ?? "" }
            let received = record.requests.withLock { requests -> Request in
                let id = header("webhook-id")
                requests.perID[id, default: 0] += 1
                let entry = Request(
                    id: id, timestamp: header("webhook-timestamp"), signature: header("webhook-signature"), contentType: header("content-type"),
                    host: request.head.authority ?? header("host"), traceparent: header("traceparent"), body: Array(buffer: body), arrived: .now,
                    arrival: requests.perID[id]!)
                requests.list.append(entry)
                return entry
            }
            record.concurrent.withLock { c in
                c.now += 1
                c.most = max(c.most, c.now)
            }
            defer { record.concurrent.withLock { $0.now -= 1 } }
            switch answer(received) {
            case .status(let status):
                return Response(status: .init(code: status))
            case .after(let pause, let status):
                try await Task.sleep(for: pause)
                return Response(status: .init(code: status))
            }
        }
        router.get("/ready") { _, _ in "ready" }
        var logger = Logger(label: "receiver")
        logger.logLevel = .critical
        let application = Application(router: router, configuration: .init(address: .hostname(host, port: port)), logger: logger)
        self.port = port
        task = Task { try await application.runService(gracefulShutdownSignals: []) }
        try await waitUntil("the webhook receiver listens") { await httpGet("http://127.0.0.1:\(port)/ready")?.status == 200 }
    }

    /// The webhook URL.
    var url: String { "http://127.0.0.1:\(port)/hook" }
    /// Every request so far, in arrival order.
    var requests: [Request] { record.requests.withLock { $0.list } }
    /// The most requests it was answering at once.
    var mostConcurrent: Int { record.concurrent.withLock { $0.most } }
    /// The distinct `webhook-id`s received.
    var distinctIDs: Set<String> { Set(record.requests.withLock { $0.perID.keys }) }

    func stop() {
        task.cancel()
    }
}

/// Verifies a delivery's signature with Python's `hmac` (an implementation that is not ours).
func verifiedByPython(_ request: WebhookReceiver.Request, secret: String) async throws -> Bool {
    let file = NSTemporaryDirectory() + "webhook-body-" + UUID().uuidString
    try Data(request.body).write(to: URL(fileURLWithPath: file))
    defer { try? FileManager.default.removeItem(atPath: file) }
    let script = """
        import base64, hashlib, hmac, sys
        secret, msg_id, timestamp, signature, path = sys.argv[1:6]
        key = base64.b64decode(secret[len("whsec_"):]) if secret.startswith("whsec_") else secret.encode()
        body = open(path, "rb").read()
        expected = base64.b64encode(hmac.new(key, msg_id.encode() + b"." + timestamp.encode() + b"." + body, hashlib.sha256).digest()).decode()
        ok = any(hmac.compare_digest("v1," + expected, s) for s in signature.split(" "))
        print("signature verified by python hmac" if ok else "signature MISMATCH")
        sys.exit(0 if ok else 1)
        """
    // Waited for without blocking a cooperative thread (the tests running beside it share two).
    let python = try ChildProcess(
        executableURL: URL(fileURLWithPath: ProcessInfo.processInfo.environment["REGISTRY_PYTHON"] ?? "/usr/bin/python3"),
        arguments: ["-c", script, secret, request.id, request.timestamp, request.signature, file])
    return await python.waitForExit(timeout: .seconds(30)) == 0
}
