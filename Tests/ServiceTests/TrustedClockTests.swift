// The trusted clock takes evidence of the time from consumed messages, but not from a message
// stamped in the future: one message stamped 2100 must not expire every token (docs/architecture.md §5.1).

import Foundation
import JWTKit
import Logging
import Synchronization
import Testing
import ServiceRuntime
import TestSupport

/// Keeps the messages logged through it.
final class CapturedLog: Sendable {
    let lines = Mutex<[String]>([])

    var logger: Logger {
        Logger(label: "captured") { _ in Handler(log: self) }
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            log.lines.withLock { $0.append("\(event.level) \(event.message) \(event.metadata ?? [:])") }
        }
    }
}

@Suite struct TrustedClockTests {
    static func milliseconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970 * 1000) }
    static let year2100 = milliseconds(Date(timeIntervalSince1970: 4_102_444_800))

    @Test func aMessageStampedIn2100IsIgnoredAndLoggedOnce() async throws {
        let log = CapturedLog()
        let clock = TrustedClock(service: "test", logger: log.logger)
        clock.observe(timestampMilliseconds: Self.year2100)
        clock.observe(timestampMilliseconds: Self.year2100 + 1000)
        #expect(abs(clock.latestNow.timeIntervalSinceNow) < 60, "latestNow moved to \(clock.latestNow)")
        #expect(clock.lowerBound == nil, "a future timestamp is no evidence of the time")
        let warnings = log.lines.withLock { $0 }.filter { $0.contains("ahead of the host clock") }
        #expect(warnings.count == 1, "\(log.lines.withLock { $0 })")

        // Fresh tokens still verify against it.
        let verifier = await TokenVerifier.hs256(secret: TestSecrets.jwt).checkingTime(against: clock)
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: TestSecrets.jwt), digestAlgorithm: .sha256)
        let token = try await keys.sign(RegistryTokenClaims(sub: "auditor-1", role: .auditor, scope: nil, org: nil, expires: Date().addingTimeInterval(600)))
        #expect(try await verifier.verify(token).subject == "auditor-1")
    }

    @Test func aTimestampWithinTheBoundStillCounts() {
        let clock = TrustedClock(service: "test", logger: Logger(label: "test"), maxAhead: .seconds(300))
        let ahead = Date().addingTimeInterval(240)
        clock.observe(timestampMilliseconds: Self.milliseconds(ahead))
        #expect(clock.latestNow >= ahead.addingTimeInterval(-1), "4 minutes ahead is within CLOCK_MAX_AHEAD")
        // …and a poisoned one after it does not move it further.
        clock.observe(timestampMilliseconds: Self.year2100)
        #expect(clock.latestNow < Date().addingTimeInterval(300))
    }
}
