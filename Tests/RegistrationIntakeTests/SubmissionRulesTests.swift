// The decision rules of docs/architecture.md §4.4, one test per rejection code, and the accepted transitions.

import RegistrySchema
import ServiceRuntime
import Testing
@testable import RegistrationIntake

@Suite struct SubmissionRulesTests {
    let rules = SubmissionRules(temporaryMaxDays: 365)

    func decide(_ submission: RegistrationSubmitted, catalog: CatalogEntry?, person: PersonRegistrations = .unknown, at time: Timestamp = Fixtures.now) -> SubmissionDecision {
        rules.decide(submission, reference: Fixtures.reference(), eventTime: time, catalog: catalog, person: person)
    }

    func codes(_ decision: SubmissionDecision) -> [RejectionCode] {
        if case .rejected(let reasons) = decision { return reasons.map(\.code) }
        return []
    }

    func accepted(_ decision: SubmissionDecision) throws -> (PersonRegistrations, RegistrationAccepted) {
        guard case .accepted(let state, let event) = decision else {
            Issue.record("expected acceptance, got \(decision)")
            throw CancellationError()
        }
        return (state, event)
    }

    /// A person registered permanently at the state flat since 2026-01-10, for `sequence` 1.
    var registered: PersonRegistrations {
        PersonRegistrations(sequence: 1, permanent: ActiveRegistration(address: Fixtures.stateFlat.address, validFrom: CalendarDate("2026-01-10")!), temporary: nil)
    }

    @Test func birthDateMismatch() {
        var submission = Fixtures.permanent(Fixtures.stateFlat)
        submission.person = Fixtures.details(birthDate: "1986-01-02")
        #expect(codes(decide(submission, catalog: Fixtures.stateFlat)) == [.iinBirthDateMismatch])
    }

    @Test func unknownAddressWhenAbsentOrRetired() {
        #expect(codes(decide(Fixtures.permanent(Fixtures.stateFlat), catalog: nil)) == [.unknownAddress])
        #expect(codes(decide(Fixtures.permanent(Fixtures.retiredFlat), catalog: Fixtures.retiredFlat)) == [.unknownAddress])
    }

    @Test func notResidential() {
        let consent = OwnerConsent(ownerIin: Fixtures.owner, givenAt: Timestamp("2026-11-23T09:00:00Z")!)
        #expect(codes(decide(Fixtures.permanent(Fixtures.shop, consent: consent), catalog: Fixtures.shop)) == [.notResidential])
    }

    @Test func ownerConsentRequiredWithoutConsentFromANonOwnerOrGivenTooLate() {
        #expect(codes(decide(Fixtures.permanent(Fixtures.ownedFlat), catalog: Fixtures.ownedFlat)) == [.ownerConsentRequired])
        let stranger = OwnerConsent(ownerIin: IIN(rawValue: "860101300126")!, givenAt: Timestamp("2026-11-23T09:00:00Z")!)
        var bySelf = Fixtures.permanent(Fixtures.ownedFlat, consent: stranger)
        bySelf.person = Fixtures.details()
        #expect(codes(decide(bySelf, catalog: Fixtures.ownedFlat)) == [.ownerConsentRequired])
        let late = OwnerConsent(ownerIin: Fixtures.owner, givenAt: Timestamp("2026-11-24T10:15:31Z")!)
        #expect(codes(decide(Fixtures.permanent(Fixtures.ownedFlat, consent: late), catalog: Fixtures.ownedFlat)) == [.ownerConsentRequired])
        let valid = OwnerConsent(ownerIin: Fixtures.owner, givenAt: Fixtures.now)
        #expect(codes(decide(Fixtures.permanent(Fixtures.ownedFlat, consent: valid), catalog: Fixtures.ownedFlat)).isEmpty)
    }

    @Test func anOwnerNeedsNoConsent() {
        var submission = Fixtures.permanent(Fixtures.ownedFlat)
        submission.person = Fixtures.details(Fixtures.owner, birthDate: "1979-05-12")
        #expect(codes(decide(submission, catalog: Fixtures.ownedFlat)).isEmpty)
    }

    @Test(arguments: [
        ("temporary without validUntil", Fixtures.temporary(Fixtures.stateFlat, until: nil)),
        ("permanent with validUntil", { var s = Fixtures.permanent(Fixtures.stateFlat); s.validUntil = CalendarDate("2027-01-01"); return s }()),
        ("validUntil not after validFrom", Fixtures.temporary(Fixtures.stateFlat, until: "2026-11-24")),
        ("a stay of 366 days", Fixtures.temporary(Fixtures.stateFlat, from: "2026-11-24", until: "2027-11-25")),
        ("validFrom 31 days ahead", Fixtures.permanent(Fixtures.stateFlat, from: "2026-12-25")),
    ])
    func invalidPeriod(_ name: String, _ submission: RegistrationSubmitted) {
        #expect(codes(decide(submission, catalog: Fixtures.stateFlat)) == [.invalidPeriod], "\(name)")
    }

    @Test func theLongestStayAndThirtyDaysAheadAreAllowed() {
        #expect(codes(decide(Fixtures.temporary(Fixtures.stateFlat, from: "2026-11-24", until: "2027-11-24"), catalog: Fixtures.stateFlat)).isEmpty)
        #expect(codes(decide(Fixtures.permanent(Fixtures.stateFlat, from: "2026-12-24"), catalog: Fixtures.stateFlat)).isEmpty)
    }

    @Test func invalidPeriodWhenStartingBeforeTheRegistrationItReplacesOrEnds() {
        #expect(codes(decide(Fixtures.permanent(Fixtures.otherStateFlat, from: "2026-01-09"), catalog: Fixtures.otherStateFlat, person: registered)) == [.invalidPeriod])
        #expect(codes(decide(Fixtures.deregistration(from: "2026-01-09"), catalog: nil, person: registered)) == [.invalidPeriod])
    }

    @Test func alreadyRegistered() {
        #expect(codes(decide(Fixtures.permanent(Fixtures.stateFlat), catalog: Fixtures.stateFlat, person: registered)) == [.alreadyRegistered])
        #expect(codes(decide(Fixtures.temporary(Fixtures.stateFlat), catalog: Fixtures.stateFlat, person: registered)) == [.alreadyRegistered])
        var staying = registered
        staying.temporary = ActiveRegistration(address: Fixtures.otherStateFlat.address, validFrom: CalendarDate("2026-11-01")!, validUntil: CalendarDate("2027-01-01"))
        #expect(codes(decide(Fixtures.temporary(Fixtures.otherStateFlat), catalog: Fixtures.otherStateFlat, person: staying)) == [.alreadyRegistered])
    }

    @Test func notRegistered() {
        #expect(codes(decide(Fixtures.deregistration(), catalog: nil)) == [.notRegistered])
        #expect(codes(decide(Fixtures.deregistration(.temporary), catalog: nil, person: registered)) == [.notRegistered])
        var expired = registered
        expired.temporary = ActiveRegistration(address: Fixtures.otherStateFlat.address, validFrom: CalendarDate("2026-01-01")!, validUntil: CalendarDate("2026-11-24"))
        #expect(codes(decide(Fixtures.deregistration(.temporary), catalog: nil, person: expired)) == [.notRegistered], "a stay that ran out is not current")
    }

    @Test func aSubmissionBreakingFourRulesGetsFourCodesInDesignOrder() {
        // Birth date wrong, a non-residential dwelling with an owner and no consent, and a
        // permanent registration with validUntil.
        var submission = Fixtures.permanent(Fixtures.shop)
        submission.person = Fixtures.details(birthDate: "1986-01-02")
        submission.validUntil = CalendarDate("2027-01-01")
        let result = codes(decide(submission, catalog: Fixtures.shop))
        #expect(result == [.iinBirthDateMismatch, .notResidential, .ownerConsentRequired, .invalidPeriod])
    }

    @Test func messagesNameNoPersonalData() {
        var submission = Fixtures.permanent(Fixtures.shop)
        submission.person = Fixtures.details(birthDate: "1986-01-02")
        guard case .rejected(let reasons) = decide(submission, catalog: Fixtures.shop) else { Issue.record("not rejected"); return }
        for reason in reasons {
            #expect(!reason.message.contains(Fixtures.person.rawValue) && !reason.message.contains(Fixtures.owner.rawValue) && !reason.message.contains("Ахметов"))
        }
    }

    // MARK: Accepted transitions

    @Test func firstRegistrationThenAMoveCarriesThePreviousAddressAndTheNextSequence() throws {
        let (first, registeredEvent) = try accepted(decide(Fixtures.permanent(Fixtures.stateFlat), catalog: Fixtures.stateFlat))
        #expect(registeredEvent.sequence == 1)
        #expect(registeredEvent.address == Fixtures.stateFlat.address)
        #expect(registeredEvent.previousAddress == nil)
        let (moved, moveEvent) = try accepted(decide(Fixtures.permanent(Fixtures.otherStateFlat, from: "2026-11-25"), catalog: Fixtures.otherStateFlat, person: first))
        #expect(moveEvent.sequence == 2)
        #expect(moveEvent.previousAddress == Fixtures.stateFlat.address)
        #expect(moveEvent.address == Fixtures.otherStateFlat.address)
        #expect(moved.permanent?.address == Fixtures.otherStateFlat.address)
    }

    @Test func temporaryRegistrationKeepsThePermanentOne() throws {
        let (state, event) = try accepted(decide(Fixtures.temporary(Fixtures.otherStateFlat), catalog: Fixtures.otherStateFlat, person: registered))
        #expect(event.sequence == 2)
        #expect(event.kind == .temporary)
        #expect(event.validUntil == CalendarDate("2027-02-24"))
        #expect(state.permanent == registered.permanent)
        #expect(state.temporary?.address == Fixtures.otherStateFlat.address)
    }

    @Test(arguments: [DeregistrationReason.emigration, .death, .court, .ownerRequest, .other])
    func deregistrationOfEachKindEndsThePermanentRegistration(_ reason: DeregistrationReason) throws {
        var submission = Fixtures.deregistration()
        submission.reason = reason
        let (state, event) = try accepted(decide(submission, catalog: nil, person: registered))
        #expect(event.address == nil)
        #expect(event.previousAddress == Fixtures.stateFlat.address)
        #expect(event.registration == .permanent)
        #expect(event.reason == reason)
        #expect(event.sequence == 2)
        #expect(state.permanent == nil)
    }

    @Test func deregistrationOfATemporaryRegistrationKeepsThePermanentOne() throws {
        var staying = registered
        staying.temporary = ActiveRegistration(address: Fixtures.otherStateFlat.address, validFrom: CalendarDate("2026-11-01")!, validUntil: CalendarDate("2027-01-01"))
        let (state, event) = try accepted(decide(Fixtures.deregistration(.temporary), catalog: nil, person: staying))
        #expect(event.previousAddress == Fixtures.otherStateFlat.address)
        #expect(event.registration == .temporary)
        #expect(state.temporary == nil)
        #expect(state.permanent == registered.permanent)
    }
}
