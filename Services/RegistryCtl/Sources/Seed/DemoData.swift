// A deterministic demo catalog, population and submission stream for `registryctl seed`.

import Foundation
import RegistrySchema
import ServiceRuntime

/// Demo data fixed by a seed: the same seed gives the same addresses, people and submissions
/// (ids included), so a demo or a benchmark can be repeated exactly.
struct DemoData {
    /// One demo person.
    struct Person {
        let details: PersonDetails
    }

    /// What the submission stream holds, by intent.
    struct Mix: CustomStringConvertible {
        var registrations = 0, moves = 0, temporary = 0, deregistrations = 0, meantToBeRejected = 0
        mutating func count(_ kind: Kind) {
            switch kind {
            case .registration: registrations += 1
            case .move: moves += 1
            case .temporary: temporary += 1
            case .deregistration: deregistrations += 1
            case .meantToBeRejected: meantToBeRejected += 1
            }
        }
        var description: String {
            "\(registrations) first registrations, \(moves) moves, \(temporary) temporary, \(deregistrations) deregistrations, \(meantToBeRejected) meant to be rejected"
        }
    }

    let addresses: [AddressUpserted]
    let people: [Person]
    let submissions: [CloudEvent<RegistrationSubmitted>]
    let mix: Mix

    static let regions: [(kato: String, region: String, locality: String, streets: [String])] = [
        ("711110000", "Астана", "Астана", ["Мәңгілік Ел даңғылы", "Қабанбай батыр даңғылы", "Сарыарқа даңғылы", "Кенесары көшесі"]),
        ("751110000", "Алматы", "Алматы", ["Абай даңғылы", "Достық даңғылы", "Төле би көшесі", "Сәтбаев көшесі"]),
        ("791110000", "Шымкент", "Шымкент", ["Тәуке хан даңғылы", "Байтұрсынов көшесі", "Республика даңғылы"]),
        ("351810000", "Қарағанды облысы", "Қарағанды", ["Бұқар жырау даңғылы", "Ерубаев көшесі", "Гоголь көшесі"]),
        ("151010000", "Ақтөбе облысы", "Ақтөбе", ["Абылай хан даңғылы", "Әйтеке би көшесі", "Некрасов көшесі"]),
    ]
    static let surnames = ["Ахметов", "Серікбаев", "Нұрланов", "Жұмабаев", "Қасымов", "Омаров", "Иванов", "Ким", "Тоқаев", "Сейітов"]
    static let givenNames: [(String, IIN.Sex)] = [
        ("Арман", .male), ("Айгерім", .female), ("Дәулет", .male), ("Әсел", .female), ("Ерлан", .male),
        ("Жанар", .female), ("Нұрсұлтан", .male), ("Мадина", .female), ("Тимур", .male), ("Алия", .female),
    ]

    /// The first owner's consent, given a day before `now`, when `person` does not own `address`.
    static func consent(for person: PersonDetails, at address: AddressUpserted, now: Timestamp) -> OwnerConsent? {
        guard let owner = address.owners.first, !address.owners.contains(person.iin) else { return nil }
        return OwnerConsent(ownerIin: owner, givenAt: now.adding(seconds: -86_400))
    }

    /// Builds the data.
    /// - Parameters:
    ///   - addressCount: Dwellings in the catalog (about 1 in 20 non-residential, 3 in 5 owned).
    ///   - peopleCount: People, each submitted for a first permanent registration.
    ///   - seed: Fixes everything.
    ///   - now: The events' `time`; registrations start on its UTC day.
    init(addressCount: Int, peopleCount: Int, seed: UInt64, now: Timestamp) {
        var g = SplitMix64(seed: seed)
        var people: [Person] = []
        var serial = 0
        while people.count < peopleCount {
            let born = CalendarDate("1940-01-01")!.adding(days: Int.random(in: 0...25_000, using: &g))
            let (given, sex) = Self.givenNames.randomElement(using: &g)!
            serial += 1
            guard let iin = IIN.issue(birthDate: born, sex: sex, serial: serial % 10_000) else { continue }
            var surname = Self.surnames.randomElement(using: &g)!
            if sex == .female, surname.hasSuffix("ов") || surname.hasSuffix("ев") { surname += "а" }
            people.append(Person(details: PersonDetails(iin: iin, surname: surname, givenName: given, patronymic: nil, birthDate: born)))
        }
        var addresses: [AddressUpserted] = []
        for index in 0..<addressCount {
            let place = Self.regions.randomElement(using: &g)!
            let owned = !people.isEmpty && Int.random(in: 0..<5, using: &g) < 3
            let owners = owned ? (0..<Int.random(in: 1...2, using: &g)).map { _ in people.randomElement(using: &g)!.details.iin } : []
            let house = Int.random(in: 0..<4, using: &g) == 0
            addresses.append(AddressUpserted(
                rca: RCA(rawValue: String(1_000_000_000_000 + index))!, kato: KATO(rawValue: place.kato)!, region: place.region,
                locality: place.locality, street: place.streets.randomElement(using: &g)!, building: "\(Int.random(in: 1...120, using: &g))",
                flat: house ? nil : "\(Int.random(in: 1...200, using: &g))", residential: Int.random(in: 0..<20, using: &g) != 0,
                owners: Array(Set(owners)).sorted()))
        }
        self.people = people
        self.addresses = addresses

        // One first registration per person, then moves, stays, deregistrations and some
        // deliberately invalid ones, in an order that respects each person's history.
        var mix = Mix()
        var submissions: [CloudEvent<RegistrationSubmitted>] = []
        let residential = addresses.filter(\.residential)
        guard !residential.isEmpty else {
            self.submissions = []
            self.mix = mix
            return
        }
        for person in people {
            for (event, kind) in Self.history(of: person.details, residential: residential, followUpOdds: 100, source: "/demo/seed", now: now, using: &g) {
                submissions.append(event)
                mix.count(kind)
            }
        }
        self.submissions = submissions
        self.mix = mix
    }

    /// A random version-4 UUID from `g`: the same seed gives the same ids.
    static func eventID(using g: inout SplitMix64) -> String {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &g) }
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        return EventID.uuidString(bytes)
    }

    /// What a submission is meant to be.
    enum Kind {
        case registration, move, temporary, deregistration, meantToBeRejected
    }

    /// A person's submissions, in order: a first permanent registration at a random residential
    /// address, then, for `followUpOdds` = 100, a move (15 in 100), a temporary stay elsewhere (8),
    /// a deregistration (5) or a deliberately invalid submission (2); with `followUpOdds` = 70 the
    /// stream as a whole is 70 % first registrations, 15 % moves, 8 % stays, 5 % deregistrations and
    /// 2 % invalid (the benchmark's mix).
    static func history(
        of person: PersonDetails, residential: [AddressUpserted], followUpOdds: Int, source: String, now: Timestamp, using g: inout SplitMix64
    ) -> [(CloudEvent<RegistrationSubmitted>, Kind)] {
        let today = now.calendarDateUTC
        var result: [(CloudEvent<RegistrationSubmitted>, Kind)] = []
        func append(_ data: RegistrationSubmitted, _ kind: Kind) {
            result.append((CloudEvent(id: eventID(using: &g), source: source, time: now, data: data), kind))
        }
        let home = residential.randomElement(using: &g)!
        append(RegistrationSubmitted(kind: .permanent, person: person, rca: home.rca, validFrom: today, ownerConsent: consent(for: person, at: home, now: now)), .registration)
        switch Int.random(in: 0..<followUpOdds, using: &g) {
        case 0..<15:
            let next = residential.randomElement(using: &g)!
            guard next.rca != home.rca else { break }
            append(RegistrationSubmitted(kind: .permanent, person: person, rca: next.rca, validFrom: today.adding(days: 1), ownerConsent: consent(for: person, at: next, now: now)), .move)
        case 15..<23:
            let stay = residential.randomElement(using: &g)!
            guard stay.rca != home.rca else { break }
            append(RegistrationSubmitted(
                kind: .temporary, person: person, rca: stay.rca, validFrom: today, validUntil: today.adding(days: 90),
                ownerConsent: consent(for: person, at: stay, now: now)), .temporary)
        case 23..<28:
            let reason = [DeregistrationReason.emigration, .death, .court, .ownerRequest, .other].randomElement(using: &g)!
            append(RegistrationSubmitted(
                kind: .deregistration, person: person, rca: nil, validFrom: today.adding(days: 2), registration: .permanent, reason: reason), .deregistration)
        case 28..<30:
            // Wrong birth date, an RCA nobody issued, and a permanent registration with an end.
            var wrong = person
            wrong.birthDate = wrong.birthDate.adding(days: 1)
            var broken = RegistrationSubmitted(kind: .permanent, person: wrong, rca: RCA(rawValue: "999999999999")!, validFrom: today)
            broken.validUntil = today.adding(days: 10)
            append(broken, .meantToBeRejected)
        default:
            break
        }
        return result
    }
}
