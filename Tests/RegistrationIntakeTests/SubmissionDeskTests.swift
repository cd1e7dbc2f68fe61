// The desk on a real SQLite store: structural rejections, dead letters, duplicates, the catalog.

import Foundation
import Kafka
import RegistrySchema
import ServiceRuntime
import Testing
@testable import RegistrationIntake

@Suite struct SubmissionDeskTests {
    let store: ServiceStore
    let topics = TopicNames(prefix: "")
    let desk: SubmissionDesk
    let encoder = RegistryEventEncoder()

    init() throws {
        store = try ServiceStore(directory: NSTemporaryDirectory() + "intake-desk-" + UUID().uuidString, name: "registration-intake", migrations: RegistrationIntakeService.migrations)
        desk = SubmissionDesk(rules: SubmissionRules(), topics: topics, source: "/registry/intake")
    }

    func seedCatalog() async throws {
        try await store.write { db in
            for entry in Fixtures.catalog { try AddressCatalog(db).save(entry) }
        }
    }

    func bytes(_ submission: RegistrationSubmitted, id: String = UUID().uuidString) throws -> [UInt8] {
        try encoder.encodeBytes(CloudEvent(id: id, source: "/egov/portal", time: Fixtures.now, data: submission))
    }

    /// The JSON of a valid submission with `change` applied to its object.
    func edited(_ change: (inout [String: Any]) -> Void) throws -> [UInt8] {
        var object = try JSONSerialization.jsonObject(with: Data(try bytes(Fixtures.permanent(Fixtures.stateFlat), id: "edited"))) as! [String: Any]
        change(&object)
        return [UInt8](try JSONSerialization.data(withJSONObject: object))
    }

    /// Applies `change` to the event's `data` object.
    static func editData(_ object: inout [String: Any], _ change: (inout [String: Any]) -> Void) {
        var data = object["data"] as! [String: Any]
        change(&data)
        object["data"] = data
    }

    static func setPersonIIN(_ data: inout [String: Any], _ iin: String) {
        var person = data["person"] as! [String: Any]
        person["iin"] = iin
        data["person"] = person
    }

    func handle(_ value: [UInt8]?) async throws -> MessageOutcome {
        let desk = self.desk
        return try await store.write { db in try desk.handle(value, arrival: Date(), store: IntakeStore(db)) }
    }

    func rejection(_ outcome: MessageOutcome) throws -> (key: String?, event: CloudEvent<RegistrationRejected>) {
        let message = try #require(outcome.emitted.first)
        #expect(message.topic == "registration.rejected.v1")
        return (message.key.map { String(decoding: $0, as: UTF8.self) }, try RegistryEventDecoder().decode(RegistrationRejected.self, from: message.value ?? []))
    }

    @Test func malformedWithAReadableIDIsRejectedAndDeadLettered() async throws {
        let outcome = try await handle(try edited { object in
            var data = object["data"] as! [String: Any]
            data["kind"] = "sideways"
            object["data"] = data
        })
        #expect(outcome.kind == .rejected(["MALFORMED"]))
        #expect(outcome.deadLetter?.description.hasPrefix("MALFORMED data.kind") == true)
        let (key, event) = try rejection(outcome)
        #expect(event.data.submission == SubmissionReference(source: "/egov/portal", id: "edited"))
        #expect(key == Fixtures.person.rawValue, "keyed by the IIN when it can be read")
        #expect(event.data.iin == Fixtures.person.rawValue)
    }

    @Test func unreadableWithoutAnIDIsOnlyDeadLettered() async throws {
        let outcome = try await handle(Array("not json at all".utf8))
        #expect(outcome.kind == .unreadable)
        #expect(outcome.emitted.isEmpty)
        #expect(outcome.deadLetter?.description.hasPrefix("MALFORMED") == true)
    }

    @Test func unsupportedType() async throws {
        let outcome = try await handle(try edited { $0["specversion"] = "0.3" })
        #expect(outcome.kind == .rejected(["UNSUPPORTED_TYPE"]))
        #expect(outcome.deadLetter == nil, "a readable event of another version is a decision, not poison")
        let other = try await handle(try edited { $0["type"] = "kz.registry.registration.accepted.v1"; $0["id"] = "other-type" })
        #expect(other.kind == .rejected(["UNSUPPORTED_TYPE"]))
    }

    @Test func invalidIINIsRejectedKeyedByTheNumberAsSubmitted() async throws {
        try await seedCatalog()
        let outcome = try await handle(try edited { object in Self.editData(&object) { Self.setPersonIIN(&$0, "860101300125") } })
        #expect(outcome.kind == .rejected(["INVALID_IIN"]))
        #expect(outcome.deadLetter == nil)
        let (key, event) = try rejection(outcome)
        #expect(key == "860101300125")
        #expect(event.data.reasons.first?.message.contains("data.person.iin") == true)
    }

    @Test func anInvalidIINDoesNotHideTheRulesThatDoNotDependOnThePerson() async throws {
        try await seedCatalog()
        let outcome = try await handle(try edited { object in
            Self.editData(&object) { data in
                Self.setPersonIIN(&data, "860101300125")
                data["rca"] = "999999"
                data["validUntil"] = "2027-01-01"
            }
        })
        #expect(outcome.kind == .rejected(["INVALID_IIN", "UNKNOWN_ADDRESS", "INVALID_PERIOD"]))
        let (_, event) = try rejection(outcome)
        #expect(event.data.reasons.first?.message == "data.person.iin: invalid IIN: check digit (expected 6, found 5)")
    }

    @Test func anInvalidOwnerIINInTheConsentIsInvalidIIN() async throws {
        try await seedCatalog()
        let outcome = try await handle(try edited { object in
            var data = object["data"] as! [String: Any]
            data["ownerConsent"] = ["ownerIin": "790512400228", "givenAt": "2026-11-23T09:00:00Z"]
            object["data"] = data
        })
        #expect(outcome.kind == .rejected(["INVALID_IIN"]))
    }

    @Test func theSameSubmissionThreeTimesIsAcceptedOnce() async throws {
        try await seedCatalog()
        let value = try bytes(Fixtures.permanent(Fixtures.stateFlat), id: "three-times")
        var kinds: [MessageOutcome.Kind] = []
        for _ in 0..<3 { kinds.append(try await handle(value).kind) }
        #expect(kinds == [.accepted(sequence: 1), .duplicate, .duplicate])
        let status = try await store.read { try IntakeStore($0).status(of: SubmissionReference(source: "/egov/portal", id: "three-times")) }
        #expect(status == SubmissionStatus(status: .accepted, sequence: 1))
    }

    @Test func aRepeatedRejectionOrPoisonIsADuplicateAndNotDeadLetteredAgain() async throws {
        try await seedCatalog()
        let unknown = try edited { object in Self.editData(&object) { $0["rca"] = "999999" }; object["id"] = "rejected-twice" }
        #expect(try await handle(unknown).kind == .rejected(["UNKNOWN_ADDRESS"]))
        let again = try await handle(unknown)
        #expect(again.kind == .duplicate)
        #expect(again.emitted.isEmpty)
        let poison = try edited { object in Self.editData(&object) { $0["kind"] = "sideways" }; object["id"] = "poison-twice" }
        #expect(try await handle(poison).deadLetter != nil)
        let repeated = try await handle(poison)
        #expect(repeated.kind == .duplicate)
        #expect(repeated.deadLetter == nil, "the first copy went to the dead letters already")
        #expect(repeated.emitted.isEmpty)
    }

    @Test func aRedeliveryStaysAsDecidedEvenWhenItWouldNowBeDecidedOtherwise() async throws {
        try await seedCatalog()
        let early = try bytes(Fixtures.deregistration(), id: "too-early")
        #expect(try await handle(early).kind == .rejected(["NOT_REGISTERED"]))
        #expect(try await handle(try bytes(Fixtures.permanent(Fixtures.stateFlat), id: "registered")).kind == .accepted(sequence: 1))
        // Now the deregistration would be accepted; its redelivery is still the rejection it was.
        let again = try await handle(early)
        #expect(again.kind == .duplicate)
        #expect(again.emitted.isEmpty)
        let status = try await store.read { try IntakeStore($0).status(of: SubmissionReference(source: "/egov/portal", id: "too-early")) }
        #expect(status?.status == .rejected)
        let person = try await store.read { try IntakeStore($0).person(Fixtures.person) }
        #expect(person.permanent != nil, "the redelivery changed nothing")
    }

    @Test func aSubmissionReceivedOverHTTPIsPendingUntilDecidedOnce() async throws {
        try await seedCatalog()
        let reference = SubmissionReference(source: "/egov/portal", id: "posted")
        #expect(try await store.write { try IntakeStore($0).recordReceived(reference, submitter: "portal") })
        let value = try bytes(Fixtures.permanent(Fixtures.stateFlat), id: "posted")
        #expect(try await handle(value).kind == .accepted(sequence: 1))
        #expect(try await handle(value).kind == .duplicate)
        let status = try await store.read { try IntakeStore($0).status(of: reference) }
        #expect(status == SubmissionStatus(status: .accepted, sequence: 1))
    }

    @Test func acceptedEventsCarryTheSnapshotAndIntakesOwnIdentity() async throws {
        try await seedCatalog()
        let outcome = try await handle(try bytes(Fixtures.permanent(Fixtures.stateFlat), id: "accepted-one"))
        let message = try #require(outcome.emitted.first)
        #expect(message.topic == "registration.accepted.v1")
        #expect(message.key == Array(Fixtures.person.rawValue.utf8))
        let event = try RegistryEventDecoder().decode(RegistrationAccepted.self, from: message.value ?? [])
        #expect(event.source == "/registry/intake")
        #expect(event.id != "accepted-one")
        #expect(event.data.submission.id == "accepted-one")
        #expect(event.data.address == Fixtures.stateFlat.address)
    }

    @Test func theCatalogCopyFollowsUpsertsRetirementsAndTombstones() async throws {
        let keeper = CatalogKeeper()
        let upserted = AddressUpserted(
            rca: RCA(rawValue: "2000000000001")!, kato: KATO(rawValue: "751110000")!, region: "Алматы", locality: "Алматы",
            street: "Абай даңғылы", building: "12", flat: nil, residential: true, owners: [])
        @Sendable func message(_ value: [UInt8]?, key: String) -> KafkaConsumerMessage {
            KafkaConsumerMessage(
                topicPartition: KafkaTopicPartition(topic: "address.catalog.v1", partition: 0), offset: 0, key: Array(key.utf8), value: value,
                headers: [], timestampMilliseconds: nil)
        }
        let upsert = message(try encoder.encodeBytes(CloudEvent(id: "u1", source: "/register", time: Fixtures.now, data: upserted)), key: "2000000000001")
        let retire = message(try encoder.encodeBytes(CloudEvent(id: "r1", source: "/register", time: Fixtures.now, data: AddressRetired(rca: upserted.rca))), key: "2000000000001")
        let entry = { [store] in try await store.read { try AddressCatalog($0).entry(upserted.rca) } }
        #expect(try await store.write { try keeper.apply(upsert, to: AddressCatalog($0)) } == nil)
        #expect(try await entry() == CatalogEntry(upserted))
        _ = try await store.write { try keeper.apply(retire, to: AddressCatalog($0)) }
        #expect(try await entry()?.retired == true)
        _ = try await store.write { try keeper.apply(upsert, to: AddressCatalog($0)) }
        let tombstone = message(nil, key: "2000000000001")
        _ = try await store.write { try keeper.apply(tombstone, to: AddressCatalog($0)) }
        #expect(try await entry()?.retired == true, "a tombstone retires the address")
    }
}
