// Building accepted registrations and an index store for the tests.

import Foundation
import Logging
import Synchronization
import Kafka
import RegistrySchema
import ServiceRuntime
@testable import AddressIndex

enum IndexFixtures {
    static let person = IIN(rawValue: "860101300126")!
    static let topics = TopicNames(prefix: "")

    static func address(_ rca: String) -> AddressSnapshot {
        AddressSnapshot(rca: RCA(rawValue: rca)!, kato: KATO(rawValue: "751110000")!, region: "Алматы", locality: "Алматы", street: "Абай даңғылы", building: rca.suffix(2).description, flat: nil)
    }

    static func details(_ iin: IIN = person) -> PersonDetails {
        PersonDetails(iin: iin, surname: "Ахметов", givenName: "Арман", patronymic: nil, birthDate: iin.birthDate ?? CalendarDate("1986-01-01")!)
    }

    static func accepted(
        _ kind: RegistrationKind, sequence: Int, iin: IIN = person, address: AddressSnapshot? = nil, previous: AddressSnapshot? = nil,
        from: String, until: String? = nil, term: RegistrationTerm? = nil
    ) -> CloudEvent<RegistrationAccepted> {
        let data = RegistrationAccepted(
            submission: SubmissionReference(source: "/test", id: "s\(sequence)-\(iin.rawValue)"), sequence: sequence, kind: kind, person: details(iin),
            address: address, previousAddress: previous, validFrom: CalendarDate(from)!, validUntil: until.flatMap { CalendarDate($0) },
            registration: kind == .deregistration ? term ?? .permanent : nil, reason: kind == .deregistration ? .other : nil)
        return CloudEvent(id: "accepted-\(sequence)-\(iin.rawValue)", source: "/registry/intake", time: Timestamp("2026-11-24T10:00:00Z")!, data: data)
    }

    static func bytes(_ event: CloudEvent<RegistrationAccepted>) throws -> [UInt8] {
        try RegistryEventEncoder().encodeBytes(event)
    }

    static func store() throws -> ServiceStore {
        try ServiceStore(directory: NSTemporaryDirectory() + "index-" + UUID().uuidString, name: "address-index", migrations: AddressIndexService.migrations)
    }

    static func projector(clock: IndexClock, threshold: Int = 10) -> RegistrationProjector {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return RegistrationProjector(topics: topics, source: "/registry/address-index", occupancyThreshold: threshold, clock: clock, logger: logger)
    }
}

/// A clock the test moves.
final class ManualClock: Sendable {
    private let day = Mutex(CalendarDate("2026-11-24")!)
    var today: CalendarDate {
        get { day.withLock { $0 } }
        set { day.withLock { $0 = newValue } }
    }
    var clock: IndexClock { IndexClock { self.today } }
}
