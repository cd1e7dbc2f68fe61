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
        let application = try await TestApplication.make(AuditService.self, environment: ["HTTP_RATE_LIMIT": "0.01", "HTTP_RATE_BURST": "5"])
        let busy = try await token("auditor-busy")
        let calm = try await token("auditor-calm")
        try await application.http.test(.live) { client in
            for n in 1...5 {
                try await client.execute(uri: "/v1/audit/verify", method: .get, headers: [.authorization: "Bearer \(busy)"]) {
                    #expect($0.status == .ok, "request \(n) is within the burst")
                }
            }
            try await client.execute(uri: "/v1/audit/verify", method: .get, headers: [.authorization: "Bearer \(busy)"]) { response in
                #expect(response.status == .tooManyRequests)
                // One request per 100 s: the next token is 100 s away, however slow this machine is.
                #expect(response.headers[.retryAfter].flatMap(Int.init).map { (90...100).contains($0) } == true)
                #expect(response.headers[.contentType] == "application/problem+json")
                print("over the rate: \(String(buffer: response.body))")
                print("faults | one caller over its rate | 6 requests in a burst of 5 | - | - | - | 429 + Retry-After \(response.headers[.retryAfter] ?? "?")")
            }
            try await client.execute(uri: "/v1/audit/verify", method: .get, headers: [.authorization: "Bearer \(calm)"]) {
                #expect($0.status == .ok, "another caller has its own bucket")
            }
            for _ in 1...10 {
                try await client.execute(uri: "/health/live", method: .get) { #expect($0.status == .ok, "health checks are not limited") }
            }
            // Without a token the client address is the caller.
            var limited = false
            for _ in 1...8 {
                try await client.execute(uri: "/v1/audit/checkpoints", method: .get) { limited = limited || $0.status == .tooManyRequests }
            }
            #expect(limited)
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
