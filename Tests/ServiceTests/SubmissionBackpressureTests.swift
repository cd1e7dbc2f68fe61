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
        try await FaultRow.measure("intake HTTP with the broker away", injected: "outbox at its limit") { row in
            try await run(row)
        }
    }

    func run(_ row: FaultRow) async throws -> String {
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
        let ids = ["b1", "b2", "b3"]
        let answers = try await application.http.test(.live) { client -> [(id: String, status: Int)] in
            var answers: [(id: String, status: Int)] = []
            for id in ids {
                try await client.execute(uri: "/v1/submissions", method: .post, headers: [.authorization: "Bearer \(token)", .contentType: "application/cloudevents+json"], body: try body(id)) { response in
                    answers.append((id, Int(response.status.code)))
                    if response.status == .serviceUnavailable {
                        row.check(response.headers[.retryAfter] != nil, "503 without Retry-After")
                        row.check(response.headers[.contentType] == "application/problem+json", "503 not as problem+json")
                    }
                }
            }
            // A repeat of one already taken is still answered from the store.
            try await client.execute(uri: "/v1/submissions", method: .post, headers: [.authorization: "Bearer \(token)"], body: try body("b1")) { response in
                answers.append(("b1", Int(response.status.code)))
                row.check(
                    response.status == .accepted && String(buffer: response.body).contains(#""status":"pending""#),
                    "the repeat of b1 was answered \(response.status.code) \(String(buffer: response.body).prefix(120))")
            }
            return answers
        }
        let statuses = answers.prefix(ids.count).map(\.status)
        row.check(statuses == [202, 202, 503], "answered \(statuses), not 202, 202, 503")
        // What waits in the outbox for the broker, by event id: each taken submission once.
        let waiting = try await application.environment.store.read { db in
            try Outbox.oldest(100, in: db).map { try RegistryEventDecoder().decodeAttributes(from: $0.message.value ?? []).id }
        }
        let taken = Set(answers.filter { $0.status == 202 }.map(\.id))
        print("backpressure: broker away, INTAKE_OUTBOX_LIMIT=2 → \(statuses); outbox holds \(waiting)")
        row.check(Set(waiting).isSubset(of: taken), "the outbox holds submissions that were refused: \(waiting)")
        row.messages = "\(answers.count) submissions (\(ids.count) + a repeat)"
        row.lost = taken.subtracting(waiting).count
        row.duplicated(waiting.count - Set(waiting).count, "repeats in the outbox")
        return "\(statuses.map(String.init).joined(separator: ", ")) + Retry-After; repeat answered from the store"
    }
}
