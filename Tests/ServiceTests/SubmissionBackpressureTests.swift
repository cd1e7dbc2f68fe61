// POST /v1/submissions while the broker is away: accepted into the outbox up to its limit, then 503.

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import RegistrationIntake
import RegistrySchema
import ServiceRuntime
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(2))) struct SubmissionBackpressureTests {
    @Test func overTheOutboxLimitWithoutABrokerTheAnswerIs503WithRetryAfter() async throws {
        // Nothing listens on port 1: the broker is unreachable, and nothing drains the outbox.
        let application = try await TestApplication.make(
            RegistrationIntakeService.self, environment: ["KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "INTAKE_OUTBOX_LIMIT": "2"])
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: TestSecrets.jwt), digestAlgorithm: .sha256)
        let token = try await keys.sign(RegistryTokenClaims(sub: "egov-portal", role: .upstream, scope: nil, org: nil, expires: Date().addingTimeInterval(600), sources: ["/egov/portal"]))
        let encoder = RegistryEventEncoder()
        @Sendable func body(_ id: String) throws -> ByteBuffer {
            let data = RegistrationSubmitted(
                kind: .permanent, person: PersonDetails(iin: IIN(rawValue: "860101300126")!, surname: "Ахметов", givenName: "Арман", patronymic: nil, birthDate: CalendarDate("1986-01-01")!),
                rca: RCA(rawValue: "1000000000001")!, validFrom: CalendarDate("2026-11-24")!)
            return ByteBuffer(bytes: try encoder.encodeBytes(CloudEvent(id: id, source: "/egov/portal", time: Timestamp(.now), data: data)))
        }
        let statuses = try await application.http.test(.live) { client -> [Int] in
            var statuses: [Int] = []
            for id in ["b1", "b2", "b3"] {
                try await client.execute(uri: "/v1/submissions", method: .post, headers: [.authorization: "Bearer \(token)", .contentType: "application/cloudevents+json"], body: try body(id)) { response in
                    statuses.append(Int(response.status.code))
                    if response.status == .serviceUnavailable {
                        #expect(response.headers[.retryAfter] != nil)
                        #expect(response.headers[.contentType] == "application/problem+json")
                    }
                }
            }
            // A repeat of one already taken is still answered from the store.
            try await client.execute(uri: "/v1/submissions", method: .post, headers: [.authorization: "Bearer \(token)"], body: try body("b1")) { response in
                #expect(response.status == .accepted)
                #expect(String(buffer: response.body).contains(#""status":"pending""#))
            }
            return statuses
        }
        #expect(statuses == [202, 202, 503])
        let waiting = try await application.environment.store.read { try Outbox.depth(in: $0).count }
        #expect(waiting == 2, "the two accepted submissions wait in the outbox for the broker")
        print("backpressure: broker away, INTAKE_OUTBOX_LIMIT=2 → \(statuses); \(waiting) submissions kept in the outbox")
        print("faults | intake HTTP with the broker away | outbox at its limit | 3 submissions | 0 | 0 | \(statuses == [202, 202, 503] ? "202, 202, then 503 + Retry-After" : "WRONG \(statuses)")")
    }
}
