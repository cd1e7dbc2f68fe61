// Events, tokens and a running delivery engine for the notification tests.

import Foundation
import Glibc
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import Kafka
import RegistrySchema
import ServiceRuntime
import Testing
import TestSupport
@testable import Notification

enum NotificationFixtures {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let agency = "100140011059"
    static let otherAgency = "990140000334"
    static let purpose = "pension recalculation"

    static func token(_ role: Role = .agency, _ sub: String = agency, scope: String? = "subscriptions:write address:read", sources: [String]? = nil) async throws -> String {
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: TestSecrets.jwt), digestAlgorithm: .sha256)
        return try await keys.sign(RegistryTokenClaims(sub: sub, role: role, scope: scope, org: "Test agency", expires: Date().addingTimeInterval(600), sources: sources))
    }

    static func headers(_ token: String, purpose: String? = NotificationFixtures.purpose) -> HTTPFields {
        var fields: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
        if let purpose { fields[HTTPField.Name("X-Purpose")!] = purpose }
        return fields
    }

    static func address(_ rca: String, kato: String = "751110000") -> AddressSnapshot {
        AddressSnapshot(rca: RCA(rawValue: rca)!, kato: KATO(rawValue: kato)!, region: "Алматы", locality: "Алматы", street: "Абай даңғылы", building: "10", flat: nil)
    }

    /// `count` distinct valid IINs, the same ones every time.
    static func people(_ count: Int, born: String = "1980-01-01") -> [IIN] {
        var found: [IIN] = []
        var day = CalendarDate(born)!
        while found.count < count {
            for sex in [IIN.Sex.male, .female] {
                for serial in 1...9999 where found.count < count {
                    if let iin = IIN.issue(birthDate: day, sex: sex, serial: serial) { found.append(iin) }
                }
            }
            day = day.adding(days: 1)
        }
        return found
    }

    /// An `address.changed` message as address-index publishes it.
    static func changed(
        _ iin: IIN, sequence: Int, change: AddressChangeKind = .registered, kato: String = "751110000", time: Timestamp = Timestamp(.now),
        topic: String = "address.changed.v1", id: String? = nil
    ) throws -> KafkaConsumerMessage {
        let data = AddressChanged(
            iin: iin, change: change, address: address("7\(sequence)0001", kato: kato), previousAddress: nil, effectiveFrom: CalendarDate("2026-11-24")!,
            sequence: sequence, cause: "accepted-\(sequence)")
        let event = CloudEvent(id: id ?? "changed-\(UUID().uuidString.prefix(8))-\(sequence)", source: "/registry/address-index", time: time, data: data)
        return message(topic, key: iin.rawValue, value: try RegistryEventEncoder().encodeBytes(event))
    }

    static func message(_ topic: String, key: String, value: [UInt8]) -> KafkaConsumerMessage {
        KafkaConsumerMessage(
            topicPartition: KafkaTopicPartition(topic: topic, partition: 0), offset: 0, key: Array(key.utf8), value: value, headers: [], timestampMilliseconds: nil)
    }

    /// A notification application with a fast retry schedule, its engine running.
    static func start(_ extra: [String: String] = [:]) async throws -> (ServiceApplication, Task<Void, any Error>) {
        var environment = [
            "WEBHOOK_RETRY_SCHEDULE": "300ms,600ms", "WEBHOOK_RETRY_REPEAT": "1s", "WEBHOOK_RETRY_GIVE_UP": "1s", "WEBHOOK_TIMEOUT": "1s",
            "WEBHOOK_RECEIVER_CONCURRENCY": "2", "WEBHOOK_ALLOW_LOCAL": "true",
        ]
        environment.merge(extra) { _, new in new }
        let application = try await TestApplication.make(NotificationService.self, environment: environment)
        let engine = try #require(application.services.first as? DeliveryEngine)
        try ownTheFixturesPartition(application)
        return (application, Task { try await engine.run() })
    }

    /// Makes `application` the only instance, outside any group: it delivers the partition the
    /// fixtures' messages come from.
    static func ownTheFixturesPartition(_ application: ServiceApplication) throws {
        let ownership = try #require(application.services.compactMap { $0 as? DeliveryOwnership }.first)
        ownership.ownOutsideAnyGroup(Set([RegistryTopic.addressChanged, .addressAlerts, .registrationAccepted].map {
            KafkaTopicPartition(topic: TopicNames().name(for: $0), partition: 0)
        }))
    }

    /// Applies messages as the consumer would.
    static func apply(_ application: ServiceApplication, _ messages: [KafkaConsumerMessage], ownerAlerts: Bool = false) async throws {
        let processor = NotificationProcessor(topics: TopicNames(), source: "/registry/notification", ownerAlerts: ownerAlerts, newDeliveries: WakeSignal())
        try await application.environment.store.write { db in
            var transaction = BatchTransaction(db: db)
            try processor.apply(messages, in: &transaction)
            if let (_, reason) = transaction.deadLetters.first { throw FixtureError(description: "unexpected dead letter: \(reason)") }
        }
        (application.services.first as? DeliveryEngine)?.wakeups.signal()
    }

    /// The outcomes waiting in the outbox for notification.outcome.v1, oldest first.
    static func outcomes(_ application: ServiceApplication) async throws -> [NotificationOutcome] {
        try await application.environment.store.read { try Outbox.oldest(10_000, in: $0) }.compactMap { row in
            guard row.message.topic == "notification.outcome.v1", let value = row.message.value else { return nil }
            return try RegistryEventDecoder().decode(NotificationOutcome.self, from: value).data
        }
    }

    /// Creates a subscription over real HTTP; returns its id.
    static func subscribe(_ client: some TestClientProtocol, _ body: String, token: String) async throws -> String {
        try await client.execute(uri: "/v1/subscriptions", method: .post, headers: headers(token), body: ByteBuffer(string: body)) { response in
            guard response.status == .created,
                let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any], let id = object["id"] as? String
            else { throw FixtureError(description: "subscription refused: \(response.status) \(String(buffer: response.body))") }
            return id
        }
    }

    static func webhook(_ url: String, filter: String = "{}") -> String {
        #"{"filter":\#(filter),"delivery":{"type":"webhook","url":"\#(url)","secret":"\#(secret)"}}"#
    }
}

/// A loopback port that refuses connections for as long as this lives: bound, never listening,
/// so no other test can take it meanwhile.
final class RefusingPort: @unchecked Sendable {
    let port: Int
    private let socket: Int32

    init() throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.socket = socket
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        guard bound == 0 else { throw FixtureError(description: "could not bind a port") }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(socket) }
}

/// A fixture that could not do its part.
struct FixtureError: Error, CustomStringConvertible {
    let description: String
}
