// WebhookBenchReceiver: the keep-alive webhook receiver `make bench` delivers to, and the same
// receiver wrk POSTs to for the baseline (docs/architecture.md §9: webhook_per_s, webhook_ratio).
// It answers every POST with 204 at once (no signature check: the baseline and the registry pay
// for the same receiver) and counts what it got.
//
//   WebhookBenchReceiver PORT
//   POST /anything     204; counted
//   GET /stats         {"requests":n,"first":unix s,"last":unix s} since the last reset
//   DELETE /stats      resets the count
//   GET /sample        {"body":"…","headers":{"webhook-id":"…",…}}: the first POST since the reset, for wrk to repeat

import Foundation
import Hummingbird
import Synchronization

/// What the receiver has been sent since the last reset.
struct ReceiverStats: Sendable {
    var requests = 0
    var first: Double = 0
    var last: Double = 0
    var sampleBody = ""
    var sampleHeaders: [String: String] = [:]
}

let stats = Mutex(ReceiverStats())
guard let port = CommandLine.arguments.dropFirst().first.flatMap(Int.init) else {
    FileHandle.standardError.write(Data("usage: WebhookBenchReceiver PORT\n".utf8))
    exit(2)
}

@Sendable func json(_ object: [String: any Sendable]) -> Response {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

let router = Router()
router.post("/") { request, _ -> Response in
    let body = try await request.body.collect(upTo: 1 << 20)
    let now = Date().timeIntervalSince1970
    let wanted = ["content-type", "webhook-id", "webhook-timestamp", "webhook-signature"]
    stats.withLock { stats in
        if stats.requests == 0 { stats.first = now }
        stats.requests += 1
        stats.last = now
        // One body is kept for wrk (the first): copying every body would cost the receiver
        // more than the requests it measures.
        if stats.sampleBody.isEmpty {
            stats.sampleBody = String(buffer: body)
            for field in request.headers where wanted.contains(field.name.canonicalName) { stats.sampleHeaders[field.name.canonicalName] = field.value }
        }
    }
    return Response(status: .noContent)
}
router.get("stats") { _, _ -> Response in
    let now = stats.withLock { $0 }
    return json(["requests": now.requests, "first": now.first, "last": now.last])
}
router.delete("stats") { _, _ -> Response in
    stats.withLock { $0 = ReceiverStats() }
    return Response(status: .noContent)
}
router.get("sample") { _, _ -> Response in
    let now = stats.withLock { $0 }
    return json(["body": now.sampleBody, "headers": now.sampleHeaders])
}

let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
