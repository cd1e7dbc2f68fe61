// Property test: random submission sequences through the desk and a real store agree with a
// plain reference model of docs/architecture.md §4.4-4.5 written independently here.

import Foundation
import RegistrySchema
import ServiceRuntime
import Testing
@testable import RegistrationIntake

/// docs/architecture.md §4.4-4.5 written as plainly as possible: a dictionary of people and a list of checks.
struct ReferenceIntake {
    struct Stay { var rca: String; var from: CalendarDate; var until: CalendarDate? }
    struct Person { var sequence = 0; var permanent: Stay?; var temporary: Stay? }
    enum Result: Equatable { case accepted(sequence: Int, previous: String?); case rejected([String]) }

    var people: [String: Person] = [:]
    let catalog: [String: CatalogEntry]

    mutating func submit(_ s: RegistrationSubmitted, at time: Timestamp) -> Result {
        let today = time.calendarDateUTC
        var person = people[s.person.iin.rawValue] ?? Person()
        if let until = person.temporary?.until, until <= today { person.temporary = nil }
        var codes: [String] = []
        if let born = s.person.iin.birthDate, born != s.person.birthDate { codes.append("IIN_BIRTHDATE_MISMATCH") }
        if s.kind != .deregistration {
            let entry = catalog[s.rca!.rawValue]
            if entry == nil || entry!.retired {
                codes.append("UNKNOWN_ADDRESS")
            } else {
                if !entry!.residential { codes.append("NOT_RESIDENTIAL") }
                let owners = entry!.owners
                if !owners.isEmpty && !owners.contains(s.person.iin) {
                    let consent = s.ownerConsent
                    if consent == nil || !owners.contains(consent!.ownerIin) || consent!.givenAt > time { codes.append("OWNER_CONSENT_REQUIRED") }
                }
            }
        }
        let term = s.registration ?? .permanent
        let old: Stay? = s.kind == .permanent ? person.permanent : s.kind == .temporary ? person.temporary : (term == .permanent ? person.permanent : person.temporary)
        var badPeriod = false
        if s.kind == .temporary && s.validUntil == nil { badPeriod = true }
        if s.kind == .permanent && s.validUntil != nil { badPeriod = true }
        if s.kind != .deregistration, let until = s.validUntil {
            if until <= s.validFrom { badPeriod = true }
            if s.kind == .temporary && until.daysSinceEpoch - s.validFrom.daysSinceEpoch > 365 { badPeriod = true }
        }
        if s.validFrom.daysSinceEpoch - today.daysSinceEpoch > 30 { badPeriod = true }
        if let old, s.validFrom < old.from { badPeriod = true }
        if badPeriod { codes.append("INVALID_PERIOD") }
        if s.kind == .permanent && person.permanent?.rca == s.rca!.rawValue { codes.append("ALREADY_REGISTERED") }
        if s.kind == .temporary && (person.permanent?.rca == s.rca!.rawValue || person.temporary?.rca == s.rca!.rawValue) { codes.append("ALREADY_REGISTERED") }
        if s.kind == .deregistration && old == nil { codes.append("NOT_REGISTERED") }
        if !codes.isEmpty { return .rejected(codes) }

        person.sequence += 1
        switch s.kind {
        case .permanent: person.permanent = Stay(rca: s.rca!.rawValue, from: s.validFrom)
        case .temporary: person.temporary = Stay(rca: s.rca!.rawValue, from: s.validFrom, until: s.validUntil)
        case .deregistration: if term == .permanent { person.permanent = nil } else { person.temporary = nil }
        }
        people[s.person.iin.rawValue] = person
        return .accepted(sequence: person.sequence, previous: old?.rca)
    }
}

@Suite struct IntakeModelTests {
    /// Each sequence is about two new people and the owner of the owned flat (who needs no consent there).
    static func people(forSequence sequence: Int, _ g: inout SplitMix64) -> [(IIN, String)] {
        var people = [(Fixtures.owner, "1979-05-12")]
        var serial = sequence * 4
        while people.count < 3 {
            let born = CalendarDate("1950-01-01")!.adding(days: Int.random(in: 0...20_000, using: &g))
            if let iin = IIN.issue(birthDate: born, sex: Bool.random(using: &g) ? .male : .female, serial: serial % 10_000) {
                people.append((iin, born.description))
            }
            serial += 1
        }
        return people
    }
    static let rcas = Fixtures.catalog.map(\.address.rca.rawValue) + ["1999999999999"]

    func randomSubmission(_ g: inout SplitMix64, people: [(IIN, String)], today: CalendarDate, time: Timestamp) -> RegistrationSubmitted {
        let (iin, born) = people.randomElement(using: &g)!
        let birthDate = Int.random(in: 0..<20, using: &g) == 0 ? "1990-02-02" : born
        let kind = [RegistrationKind.permanent, .permanent, .temporary, .temporary, .deregistration].randomElement(using: &g)!
        let from = today.adding(days: Int.random(in: -45...35, using: &g))
        let untilChoice = Int.random(in: 0..<10, using: &g)
        let until: CalendarDate? = switch (kind, untilChoice) {
        case (.temporary, 0): nil
        case (.permanent, 0): from.adding(days: 10)
        case (.temporary, _): from.adding(days: Int.random(in: -3...400, using: &g))
        default: nil
        }
        let consentChoice = Int.random(in: 0..<4, using: &g)
        let consent: OwnerConsent? = switch consentChoice {
        case 0: nil
        case 1: OwnerConsent(ownerIin: Fixtures.owner, givenAt: time.adding(seconds: -3600))
        case 2: OwnerConsent(ownerIin: Fixtures.owner, givenAt: time.adding(seconds: 3600))
        default: OwnerConsent(ownerIin: people[1].0, givenAt: time.adding(seconds: -60))
        }
        return RegistrationSubmitted(
            kind: kind, person: PersonDetails(iin: iin, surname: "Тест", givenName: "Тест", patronymic: nil, birthDate: CalendarDate(birthDate)!),
            rca: kind == .deregistration ? nil : RCA(rawValue: Self.rcas.randomElement(using: &g)!), validFrom: from, validUntil: until,
            ownerConsent: kind == .deregistration ? nil : consent,
            registration: kind == .deregistration ? [RegistrationTerm.permanent, .temporary].randomElement(using: &g) : nil,
            reason: kind == .deregistration ? .other : nil)
    }

    /// 2,000 random sequences of 10 submissions (20,000 decisions) in one store; each sequence is
    /// about new people, so sequences are independent while the store and model keep growing.
    /// `INTAKE_MODEL_SEED=n` replays another run.
    @Test func randomSequencesAgreeWithTheReferenceModel() async throws {
        let seed = UInt64(ProcessInfo.processInfo.environment["INTAKE_MODEL_SEED"] ?? "20261124") ?? 20_261_124
        var g = SplitMix64(seed: seed)
        let store = try ServiceStore(
            directory: NSTemporaryDirectory() + "intake-model-" + UUID().uuidString, name: "registration-intake", migrations: RegistrationIntakeService.migrations)
        try await store.write { db in for entry in Fixtures.catalog { try AddressCatalog(db).save(entry) } }
        let desk = SubmissionDesk(rules: SubmissionRules(temporaryMaxDays: 365), topics: TopicNames(prefix: ""), source: "/registry/intake")
        let encoder = RegistryEventEncoder()
        let decoder = RegistryEventDecoder()
        var model = ReferenceIntake(catalog: Dictionary(uniqueKeysWithValues: Fixtures.catalog.map { ($0.address.rca.rawValue, $0) }))
        var tally = (accepted: 0, rejected: 0)
        let sequences = 2_000
        let steps = 10
        // Time only moves forward, as event times of one person do.
        var time = Timestamp("2026-01-01T08:00:00Z")!
        for sequence in 0..<sequences {
            let people = Self.people(forSequence: sequence, &g)
            for step in 0..<steps {
                time = time.adding(seconds: Int64.random(in: 0...(3 * 86_400), using: &g))
                let submission = randomSubmission(&g, people: people, today: time.calendarDateUTC, time: time)
                let expected = model.submit(submission, at: time)
                let value = try encoder.encodeBytes(CloudEvent(id: "s\(sequence)-\(step)", source: "/model", time: time, data: submission))
                let outcome = try await store.write { db in try desk.handle(value, arrival: Date(), store: IntakeStore(db)) }
                let actual: ReferenceIntake.Result
                switch outcome.kind {
                case .accepted(let number):
                    let event = try decoder.decode(RegistrationAccepted.self, from: outcome.emitted[0].value ?? [])
                    actual = .accepted(sequence: number, previous: event.data.previousAddress?.rca.rawValue)
                    tally.accepted += 1
                case .rejected(let codes):
                    actual = .rejected(codes)
                    tally.rejected += 1
                default:
                    Issue.record("sequence \(sequence) step \(step): unexpected outcome \(outcome.kind)")
                    return
                }
                guard actual == expected else {
                    Issue.record("seed \(seed), sequence \(sequence), step \(step): \(submission.kind) → intake \(actual), model \(expected)")
                    return
                }
            }
        }
        #expect(tally.accepted > 1_000 && tally.rejected > 1_000, "the sequences exercise both outcomes")
        print("intake model (seed \(seed)): \(sequences) random sequences, \(sequences * steps) submissions, \(tally.accepted) accepted and \(tally.rejected) rejected, every decision equal to the reference model")
    }
}
