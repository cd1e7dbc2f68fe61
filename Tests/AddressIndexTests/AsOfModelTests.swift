// As-of correctness: random histories decided by intake's rules, projected by the index, and
// compared with a plain list of periods for many dates.

import Foundation
import RegistrySchema
import ServiceRuntime
import Testing
@testable import AddressIndex
@testable import RegistrationIntake

/// Periods kept as plainly as possible: append, and cut the one being replaced.
struct ReferencePeriods {
    struct Period { let kind: RegistrationTerm; let rca: String; let from: CalendarDate; var to: CalendarDate? }
    var periods: [String: [Period]] = [:]

    mutating func apply(_ e: RegistrationAccepted) {
        var list = periods[e.person.iin.rawValue] ?? []
        func cut(_ kind: RegistrationTerm, at day: CalendarDate) {
            if let i = list.lastIndex(where: { $0.kind == kind }), list[i].to == nil || list[i].to! > day { list[i].to = day }
        }
        switch e.kind {
        case .permanent:
            cut(.permanent, at: e.validFrom)
            list.append(Period(kind: .permanent, rca: e.address!.rca.rawValue, from: e.validFrom, to: nil))
        case .temporary:
            cut(.temporary, at: e.validFrom)
            list.append(Period(kind: .temporary, rca: e.address!.rca.rawValue, from: e.validFrom, to: e.validUntil))
        case .deregistration:
            cut(e.registration ?? .permanent, at: e.validFrom)
        }
        periods[e.person.iin.rawValue] = list
    }

    func on(_ iin: IIN, _ day: CalendarDate, _ kind: RegistrationTerm) -> String? {
        periods[iin.rawValue]?.last { $0.kind == kind && $0.from <= day && ($0.to == nil || day < $0.to!) }?.rca
    }
}

@Suite struct AsOfModelTests {
    @Test func randomHistoriesAnswerEveryDateLikeTheReference() async throws {
        var g = SplitMix64(seed: UInt64(ProcessInfo.processInfo.environment["INDEX_MODEL_SEED"] ?? "424242") ?? 424_242)
        let store = try IndexFixtures.store()
        let projector = IndexFixtures.projector(clock: IndexClock { CalendarDate("2026-06-01")! })
        let rules = SubmissionRules(temporaryMaxDays: 365)
        let catalog = (1...6).map { CatalogEntry(address: IndexFixtures.address("7000\($0)"), residential: true, owners: []) }
        var reference = ReferencePeriods()
        var people: [IIN] = []
        var serial = 0
        while people.count < 40 {
            serial += 1
            if let iin = IIN.issue(birthDate: CalendarDate("1980-01-01")!.adding(days: serial * 37), sex: .male, serial: serial) { people.append(iin) }
        }
        var accepted = 0
        var states: [IIN: PersonRegistrations] = [:]
        var time = Timestamp("2025-01-01T09:00:00Z")!
        for step in 0..<3_000 {
            time = time.adding(seconds: Int64.random(in: 0...(2 * 86_400), using: &g))
            let today = time.calendarDateUTC
            let iin = people.randomElement(using: &g)!
            let kind = [RegistrationKind.permanent, .permanent, .temporary, .deregistration].randomElement(using: &g)!
            let entry = catalog.randomElement(using: &g)!
            let from = today.adding(days: Int.random(in: -5...20, using: &g))
            let submission = RegistrationSubmitted(
                kind: kind, person: PersonDetails(iin: iin, surname: "Тест", givenName: "Тест", patronymic: nil, birthDate: iin.birthDate!),
                rca: kind == .deregistration ? nil : entry.address.rca, validFrom: from,
                validUntil: kind == .temporary ? from.adding(days: Int.random(in: 1...120, using: &g)) : nil,
                registration: kind == .deregistration ? [RegistrationTerm.permanent, .temporary].randomElement(using: &g) : nil)
            guard case .accepted(let state, let event) = rules.decide(
                submission, reference: SubmissionReference(source: "/m", id: "\(step)"), eventTime: time, catalog: entry, person: states[iin] ?? .unknown)
            else { continue }
            states[iin] = state
            reference.apply(event)
            let value = try RegistryEventEncoder().encodeBytes(CloudEvent(id: "e\(step)", source: "/registry/intake", time: time, data: event))
            _ = try await store.write { try projector.handle(value, store: IndexStore($0)) }
            accepted += 1
        }
        var checks = 0
        for iin in people {
            for offset in stride(from: -10, through: 1_600, by: 3) {
                let day = CalendarDate("2025-01-01")!.adding(days: offset)
                // As the registration route reads it: one statement, no transaction.
                let view = try await store.readOneStatement { try IndexStore($0).registration(iin, on: day) }
                #expect(view?.permanent?.address.rca.rawValue == reference.on(iin, day, .permanent), "\(iin.masked) permanent on \(day)")
                #expect(view?.temporary?.address.rca.rawValue == reference.on(iin, day, .temporary), "\(iin.masked) temporary on \(day)")
                checks += 1
            }
        }
        #expect(accepted > 500)
        print("as-of model: \(accepted) accepted events for \(people.count) people, \(checks) dated lookups equal to the reference periods")
    }
}
