// The projection: changes announced exactly once, repeats ignored, gaps parked, stays ending.

import Foundation
import Kafka
import Logging
import RegistrySchema
import ServiceRuntime
import Testing
@testable import AddressIndex

@Suite struct ProjectionTests {
    let store: ServiceStore
    let manual = ManualClock()
    let projector: RegistrationProjector
    let decoder = RegistryEventDecoder()
    let home = IndexFixtures.address("100001")
    let flat = IndexFixtures.address("100002")
    let dorm = IndexFixtures.address("100003")

    init() throws {
        store = try IndexFixtures.store()
        projector = IndexFixtures.projector(clock: manual.clock)
    }

    func project(_ event: CloudEvent<RegistrationAccepted>) async throws -> [KafkaProducerMessage] {
        let value = try IndexFixtures.bytes(event)
        let projector = self.projector
        return try await store.write { try projector.handle(value, store: IndexStore($0)) }.emitted
    }

    func changes(_ messages: [KafkaProducerMessage]) throws -> [AddressChanged] {
        try messages.filter { $0.topic == "address.changed.v1" }.map { try decoder.decode(AddressChanged.self, from: $0.value ?? []).data }
    }

    @Test func eachAcceptedEventAnnouncesItsChangeOnce() async throws {
        let registered = try changes(try await project(IndexFixtures.accepted(.permanent, sequence: 1, address: home, from: "2026-11-24")))
        #expect(registered.map(\.change) == [.registered])
        #expect(registered.first?.address == home && registered.first?.previousAddress == nil)
        #expect(registered.first?.cause == "accepted-1-860101300126")

        let moved = try changes(try await project(IndexFixtures.accepted(.permanent, sequence: 2, address: flat, previous: home, from: "2026-12-01")))
        #expect(moved.map(\.change) == [.moved])
        #expect(moved.first?.previousAddress == home && moved.first?.effectiveFrom == CalendarDate("2026-12-01"))

        let stay = try changes(try await project(IndexFixtures.accepted(.temporary, sequence: 3, address: dorm, from: "2026-12-02", until: "2027-03-01")))
        #expect(stay.map(\.change) == [.temporaryRegistered])

        let gone = try changes(try await project(IndexFixtures.accepted(.deregistration, sequence: 4, previous: flat, from: "2026-12-10")))
        #expect(gone.map(\.change) == [.deregistered])
        #expect(gone.first?.address == nil && gone.first?.previousAddress == flat)

        // The same event again (a re-send after a crash upstream): nothing.
        #expect(try await project(IndexFixtures.accepted(.permanent, sequence: 2, address: flat, previous: home, from: "2026-12-01")).isEmpty)
        let history = try await store.read { try IndexStore($0).history(IndexFixtures.person) }
        #expect(history.map(\.sequence) == [1, 2, 3])
        #expect(history[0].validTo == CalendarDate("2026-12-01"), "the move closed the first period")
        #expect(history[1].validTo == CalendarDate("2026-12-10"), "the deregistration closed the second")
    }

    @Test func aGapIsParkedUntilTheMissingEventArrives() async throws {
        _ = try await project(IndexFixtures.accepted(.permanent, sequence: 1, address: home, from: "2026-11-24"))
        let early = try await project(IndexFixtures.accepted(.permanent, sequence: 3, address: dorm, previous: flat, from: "2026-12-05"))
        #expect(early.isEmpty, "sequence 3 waits for 2")
        let both = try changes(try await project(IndexFixtures.accepted(.permanent, sequence: 2, address: flat, previous: home, from: "2026-12-01")))
        #expect(both.map(\.sequence) == [2, 3])
        #expect(both.map(\.change) == [.moved, .moved])
        #expect(try await store.read { try IndexStore($0).person(IndexFixtures.person)?.sequence } == 3)
        let history = try await store.read { try IndexStore($0).history(IndexFixtures.person) }
        #expect(history.map(\.validTo) == [CalendarDate("2026-12-01"), CalendarDate("2026-12-05"), nil], "each move closed the period before it")
    }

    @Test func addressCurrentCarriesWhatIsOpenAfterEachEvent() async throws {
        func current(_ messages: [KafkaProducerMessage]) throws -> AddressCurrent {
            let message = try #require(messages.first { $0.topic == "address.current.v1" })
            return try decoder.decode(AddressCurrent.self, from: message.value ?? []).data
        }
        let registered = try current(try await project(IndexFixtures.accepted(.permanent, sequence: 1, address: home, from: "2026-11-24")))
        #expect(registered.permanent == PermanentRegistration(address: home, validFrom: CalendarDate("2026-11-24")!))
        #expect(registered.temporary == nil)
        let stay = try current(try await project(IndexFixtures.accepted(.temporary, sequence: 2, address: dorm, from: "2026-11-25", until: "2027-02-25")))
        #expect(stay.permanent == PermanentRegistration(address: home, validFrom: CalendarDate("2026-11-24")!), "read from the store")
        #expect(stay.temporary == TemporaryRegistration(address: dorm, validFrom: CalendarDate("2026-11-25")!, validUntil: CalendarDate("2027-02-25")!))
        let moved = try current(try await project(IndexFixtures.accepted(.permanent, sequence: 3, address: flat, previous: home, from: "2026-12-01")))
        #expect(moved.permanent == PermanentRegistration(address: flat, validFrom: CalendarDate("2026-12-01")!))
        #expect(moved.temporary?.address == dorm, "the stay is still open")
        #expect(moved.sequence == 3)
    }

    @Test func addressCurrentIsATombstoneWhenNothingIsLeft() async throws {
        _ = try await project(IndexFixtures.accepted(.permanent, sequence: 1, address: home, from: "2026-11-24"))
        let messages = try await project(IndexFixtures.accepted(.deregistration, sequence: 2, previous: home, from: "2026-11-25"))
        let current = try #require(messages.first { $0.topic == "address.current.v1" })
        #expect(current.value == nil)
        #expect(current.key == Array(IndexFixtures.person.rawValue.utf8))
    }

    @Test func aDwellingOverTheThresholdIsAlertedOnce() async throws {
        let alerts = try await alerts(threshold: 2, (1...4).map {
            IndexFixtures.accepted(.permanent, sequence: 1, iin: resident($0), address: home, from: "2026-11-24")
        })
        #expect(alerts == [OccupancyAlert(rca: home.rca, kato: home.kato, residents: 3, threshold: 2)])
    }

    /// Runs `events` through a projector with `threshold`, one transaction each, and returns the alerts.
    func alerts(threshold: Int, _ events: [CloudEvent<RegistrationAccepted>]) async throws -> [OccupancyAlert] {
        let projector = IndexFixtures.projector(clock: manual.clock, threshold: threshold)
        var alerts: [OccupancyAlert] = []
        for event in events {
            let value = try IndexFixtures.bytes(event)
            let emitted = try await store.write { try projector.handle(value, store: IndexStore($0)).emitted }
            alerts += try emitted.filter { $0.topic == "address.alerts.v1" }.map { try decoder.decode(OccupancyAlert.self, from: $0.value ?? []).data }
        }
        return alerts
    }

    func resident(_ serial: Int) -> IIN {
        IIN.issue(birthDate: CalendarDate("1990-01-01")!, sex: .male, serial: serial * 3)!
    }

    @Test func aDwellingBackUnderTheThresholdIsAlertedAgainWhenItFillsUp() async throws {
        let (a, b, c, d, e) = (resident(1), resident(2), resident(3), resident(4), resident(5))
        let alerts = try await alerts(threshold: 2, [
            IndexFixtures.accepted(.permanent, sequence: 1, iin: a, address: home, from: "2026-11-24"),
            IndexFixtures.accepted(.permanent, sequence: 1, iin: b, address: home, from: "2026-11-24"),
            IndexFixtures.accepted(.permanent, sequence: 1, iin: c, address: home, from: "2026-11-24"),
            IndexFixtures.accepted(.deregistration, sequence: 2, iin: a, previous: home, from: "2026-11-24"),
            IndexFixtures.accepted(.deregistration, sequence: 2, iin: b, previous: home, from: "2026-11-24"),
            IndexFixtures.accepted(.permanent, sequence: 1, iin: d, address: home, from: "2026-11-24"),
            IndexFixtures.accepted(.permanent, sequence: 1, iin: e, address: home, from: "2026-11-24"),
        ])
        #expect(alerts.map(\.residents) == [3, 3], "alerted at c; d finds two and clears it; e alerts again")
    }

    @Test func anAlertCountsEveryResidentThoughTheCheckStopsAboveTheThreshold() async throws {
        let (a, b, c, d) = (resident(1), resident(2), resident(3), resident(4))
        // a and b left on 11-20; d's backdated registration counts them from 11-05, with c: four,
        // where the check itself counts no further than three.
        let alerts = try await alerts(threshold: 2, [
            IndexFixtures.accepted(.permanent, sequence: 1, iin: a, address: home, from: "2026-11-01"),
            IndexFixtures.accepted(.permanent, sequence: 1, iin: b, address: home, from: "2026-11-01"),
            IndexFixtures.accepted(.deregistration, sequence: 2, iin: a, previous: home, from: "2026-11-20"),
            IndexFixtures.accepted(.deregistration, sequence: 2, iin: b, previous: home, from: "2026-11-20"),
            IndexFixtures.accepted(.permanent, sequence: 1, iin: c, address: home, from: "2026-11-24"),
            IndexFixtures.accepted(.permanent, sequence: 1, iin: d, address: home, from: "2026-11-05"),
        ])
        #expect(alerts == [OccupancyAlert(rca: home.rca, kato: home.kato, residents: 4, threshold: 2)])
        let occupancy = try await store.read { try IndexStore($0).occupancy(home.rca, from: CalendarDate("2026-11-05")!, limit: 3) }
        #expect(occupancy.residentsUpToLimit == 3 && occupancy.alerted)
    }

    @Test func aTemporaryStayEndingIsAnnouncedOnceEvenAcrossRestarts() async throws {
        _ = try await project(IndexFixtures.accepted(.permanent, sequence: 1, address: home, from: "2026-11-01"))
        _ = try await project(IndexFixtures.accepted(.temporary, sequence: 2, address: dorm, from: "2026-11-24", until: "2026-12-01"))
        func watcher() throws -> TemporaryEndWatcher {
            let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: KafkaClientConfiguration(bootstrapServers: "127.0.0.1:1", clientID: "t")), logger: Logger(label: "t"))
            let relay = OutboxRelay(store: store, producer: producer, service: "address-index", logger: Logger(label: "t"))
            return TemporaryEndWatcher(store: store, relay: relay, projector: projector, interval: .seconds(60), logger: Logger(label: "t"))
        }
        let first = try watcher()
        manual.today = CalendarDate("2026-12-01")!
        #expect(try await first.announceEnded() == 0, "validUntil is exclusive; it is announced the day after")
        manual.today = CalendarDate("2026-12-02")!
        #expect(try await first.announceEnded() == 1)
        #expect(try await first.announceEnded() == 0)
        // A restarted service (a new watcher over the same store) does not announce it again.
        #expect(try await watcher().announceEnded() == 0)
        let rows = try await store.read { try Outbox.oldest(100, in: $0) }
        let ended = try rows.filter { $0.message.topic == "address.changed.v1" }
            .map { try decoder.decode(AddressChanged.self, from: $0.message.value ?? []).data }.filter { $0.change == .temporaryEnded }
        #expect(ended.count == 1)
        #expect(ended.first?.previousAddress == dorm && ended.first?.address == home && ended.first?.cause == nil)
        #expect(ended.first?.effectiveFrom == CalendarDate("2026-12-01"))
        let endedTimes = try rows.filter { $0.message.topic == "address.changed.v1" }
            .map { try decoder.decode(AddressChanged.self, from: $0.message.value ?? []) }.filter { $0.data.change == .temporaryEnded }.map(\.time)
        #expect(endedTimes == [CalendarDate("2026-12-01")!.startOfDayUTC], "announced at the instant the stay ended, whichever instance announces it")
    }

    /// Every instance computes the events of every partition, and after a handover the next owner
    /// publishes its copies of those the last one may have sent; a rebuild computes them again.
    /// Under the same id they must be the same bytes: nothing in them may come from the moment
    /// or the instance that computed them.
    @Test func anotherInstanceComputesTheSameEventsToTheByte() async throws {
        let events = [
            IndexFixtures.accepted(.permanent, sequence: 1, address: home, from: "2026-11-01"),
            IndexFixtures.accepted(.temporary, sequence: 2, address: dorm, from: "2026-11-24", until: "2027-01-10"),
        ]
        let other = try IndexFixtures.store()
        let otherProjector = IndexFixtures.projector(clock: manual.clock)
        for event in events {
            let value = try IndexFixtures.bytes(event)
            let here = try await project(event)
            let there = try await other.write { try otherProjector.handle(value, store: IndexStore($0)) }.emitted
            #expect(here.count == 2 && here.map(\.topic) == there.map(\.topic))
            #expect(here.map(\.value) == there.map(\.value), "the two instances' copies of \(event.id)'s events differ")
            let times = try here.compactMap(\.value).map { try decoder.decodeAttributes(from: $0).time }
            #expect(times.allSatisfy { $0 == event.time }, "an event's time is its cause's")
        }
    }
}
