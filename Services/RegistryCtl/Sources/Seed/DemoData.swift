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
        let today = now.calendarDateUTC
        var mix = Mix()
        var submissions: [CloudEvent<RegistrationSubmitted>] = []
        let residential = addresses.filter(\.residential)
        func id() -> String {
            let bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &g) }
            return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6] & 0x0F | 0x40, bytes[7], bytes[8] & 0x3F | 0x80, bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15])).uuidString.lowercased()
        }
        func consent(for person: PersonDetails, at address: AddressUpserted) -> OwnerConsent? {
            guard let owner = address.owners.first, !address.owners.contains(person.iin) else { return nil }
            return OwnerConsent(ownerIin: owner, givenAt: now.adding(seconds: -86_400))
        }
        func submit(_ data: RegistrationSubmitted) {
            submissions.append(CloudEvent(id: id(), source: "/demo/seed", time: now, data: data))
        }
        guard !residential.isEmpty else {
            self.submissions = []
            self.mix = mix
            return
        }
        for person in people {
            let home = residential.randomElement(using: &g)!
            submit(RegistrationSubmitted(kind: .permanent, person: person.details, rca: home.rca, validFrom: today, ownerConsent: consent(for: person.details, at: home)))
            mix.registrations += 1
            let roll = Int.random(in: 0..<100, using: &g)
            switch roll {
            case 0..<15:
                let next = residential.randomElement(using: &g)!
                guard next.rca != home.rca else { continue }
                submit(RegistrationSubmitted(kind: .permanent, person: person.details, rca: next.rca, validFrom: today.adding(days: 1), ownerConsent: consent(for: person.details, at: next)))
                mix.moves += 1
            case 15..<23:
                let stay = residential.randomElement(using: &g)!
                guard stay.rca != home.rca else { continue }
                submit(RegistrationSubmitted(
                    kind: .temporary, person: person.details, rca: stay.rca, validFrom: today, validUntil: today.adding(days: 90),
                    ownerConsent: consent(for: person.details, at: stay)))
                mix.temporary += 1
            case 23..<28:
                submit(RegistrationSubmitted(
                    kind: .deregistration, person: person.details, rca: nil, validFrom: today.adding(days: 2), registration: .permanent,
                    reason: [DeregistrationReason.emigration, .death, .court, .ownerRequest, .other].randomElement(using: &g)!))
                mix.deregistrations += 1
            case 28..<30:
                // Wrong birth date, an RCA nobody issued, and a permanent registration with an end.
                var wrong = person.details
                wrong.birthDate = wrong.birthDate.adding(days: 1)
                var broken = RegistrationSubmitted(kind: .permanent, person: wrong, rca: RCA(rawValue: "999999999999")!, validFrom: today)
                broken.validUntil = today.adding(days: 10)
                submit(broken)
                mix.meantToBeRejected += 1
            default:
                break
            }
        }
        self.submissions = submissions
        self.mix = mix
    }
}
