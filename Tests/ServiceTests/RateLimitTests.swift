// Per-actor rate limiting over real HTTP: 429 with Retry-After, one caller at a time.

import Audit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import ServiceRuntime
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(2))) struct RateLimitTests {
    func token(_ sub: String) async throws -> String {
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: TestSecrets.jwt), digestAlgorithm: .sha256)
        return try await keys.sign(RegistryTokenClaims(sub: sub, role: .auditor, scope: nil, org: nil, expires: Date().addingTimeInterval(600)))
    }

    /// A rate of one request per 100 s, so no token comes back while the test runs.
    @Test func aCallerOverItsRateGets429WithRetryAfterAndOthersAreNotAffected() async throws {
        try await FaultRow.measure("one caller over its rate", injected: "6 requests in a burst of 5", countsMessages: false) { row in
            let application = try await TestApplication.make(AuditService.self, environment: ["HTTP_RATE_LIMIT": "0.01", "HTTP_RATE_BURST": "5"])
            let busy = try await token("auditor-busy")
            let calm = try await token("auditor-calm")
            return try await application.http.test(.live) { client -> String in
                var statuses: [Int] = []
                var retryAfter = "none"
                for n in 1...6 {
                    try await client.execute(uri: "/v1/audit/verify", method: .get, headers: [.authorization: "Bearer \(busy)"]) { response in
                        statuses.append(Int(response.status.code))
                        guard n == 6 else { return }
                        retryAfter = response.headers[.retryAfter] ?? "none"
                        // One request per 100 s: the next token is 100 s away, however slow this machine is.
                        row.check(Int(retryAfter).map { (90...100).contains($0) } == true, "Retry-After \(retryAfter), not 90-100 s")
                        row.check(response.headers[.contentType] == "application/problem+json", "429 not as problem+json")
                        print("over the rate: \(String(buffer: response.body))")
                    }
                }
                row.check(statuses == [200, 200, 200, 200, 200, 429], "the busy caller was answered \(statuses)")
                try await client.execute(uri: "/v1/audit/verify", method: .get, headers: [.authorization: "Bearer \(calm)"]) {
                    row.check($0.status == .ok, "another caller was limited too: \($0.status.code)")
                }
                for _ in 1...10 {
                    try await client.execute(uri: "/health/live", method: .get) { row.check($0.status == .ok, "a health check was limited: \($0.status.code)") }
                }
                // Without a token the client address is the caller.
                var limited = false
                for _ in 1...8 {
                    try await client.execute(uri: "/v1/audit/checkpoints", method: .get) { limited = limited || $0.status == .tooManyRequests }
                }
                row.check(limited, "8 requests without a token were never limited")
                row.messages = "\(statuses.filter { $0 == 200 }.count) answered, then \(statuses.last ?? 0)"
                return "429 + Retry-After \(retryAfter); other callers and health checks not limited"
            }
        }
    }

    @Test func bucketsRefillAtTheRate() {
        let limiter = ActorRateLimiter(rate: 10, burst: 2)
        let start = ContinuousClock.now
        #expect(limiter.take("a", now: start) == nil && limiter.take("a", now: start) == nil)
        #expect(limiter.take("a", now: start) == .milliseconds(100), "one token comes every 100 ms")
        #expect(limiter.take("a", now: start + .milliseconds(100)) == nil)
        #expect(limiter.take("a", now: start + .milliseconds(150)) == .milliseconds(50))
        #expect(limiter.take("b", now: start) == nil)
        #expect(limiter.take("a", now: start + .seconds(10)) == nil && limiter.take("a", now: start + .seconds(10)) == nil, "refilled, but only to the burst")
        #expect(limiter.take("a", now: start + .seconds(10)) != nil)
    }
}
