// The stream of submissions `registryctl load` publishes.

import Foundation
import RegistrySchema
import ServiceRuntime

/// An endless, deterministic stream of submissions over a catalog, generated as it is read (a
/// 10-million-person run does not hold its people in memory).
///
/// Person number *n* always has the same IIN, so a later run can start after the people an
/// earlier one registered (`firstPerson`). Each person brings their history from
/// ``DemoData/history(of:residential:followUpOdds:source:now:using:)`` with odds of 70: 70 % first
/// permanent registrations, 15 % moves, 8 % temporary stays, 5 % deregistrations, 2 % invalid.
struct LoadGenerator: IteratorProtocol {
    /// One submission and what it is meant to be.
    struct Item {
        let event: CloudEvent<RegistrationSubmitted>
        let kind: DemoData.Kind
    }

    private let residential: [AddressUpserted]
    private let now: Timestamp
    private let registrationsOnly: Bool
    private var g: SplitMix64
    private var person: Int
    private var pending: [Item] = []
    private(set) var mix = DemoData.Mix()

    /// - Parameters:
    ///   - catalog: The dwellings submissions name (the residential ones are used).
    ///   - firstPerson: The number of the first person.
    ///   - registrationsOnly: Only first permanent registrations (to fill a store).
    init(catalog: [AddressUpserted], seed: UInt64, firstPerson: Int, registrationsOnly: Bool, now: Timestamp = Timestamp(.now)) {
        residential = catalog.filter(\.residential)
        precondition(!residential.isEmpty, "the catalog has no residential dwelling")
        self.now = now
        self.registrationsOnly = registrationsOnly
        g = SplitMix64(seed: seed &+ UInt64(firstPerson))
        person = firstPerson
    }

    /// The person with number `number`, or `nil` for the 1 in 121 numbers whose IIN would have
    /// no check digit. 20,000 people per birth date from 1950-01-01: distinct for any number.
    static func person(_ number: Int) -> PersonDetails? {
        let born = CalendarDate("1950-01-01")!.adding(days: number / 20_000)
        let within = number % 20_000
        let sex: IIN.Sex = within < 10_000 ? .male : .female
        guard let iin = IIN.issue(birthDate: born, sex: sex, serial: within % 10_000) else { return nil }
        let given = DemoData.givenNames.filter { $0.1 == sex }
        var surname = DemoData.surnames[number % DemoData.surnames.count]
        if sex == .female, surname.hasSuffix("ов") || surname.hasSuffix("ев") { surname += "а" }
        return PersonDetails(iin: iin, surname: surname, givenName: given[number / 7 % given.count].0, patronymic: nil, birthDate: born)
    }

    mutating func next() -> Item? {
        while pending.isEmpty {
            defer { person += 1 }
            guard let details = Self.person(person) else { continue }
            let history = DemoData.history(of: details, residential: residential, followUpOdds: 70, source: "/load", now: now, using: &g)
            pending = (registrationsOnly ? Array(history.prefix(1)) : history).reversed().map { Item(event: $0.0, kind: $0.1) }
        }
        let item = pending.removeLast()
        mix.count(item.kind)
        return item
    }

    /// The number after the last person this stream has used.
    var nextPerson: Int { person }
}
