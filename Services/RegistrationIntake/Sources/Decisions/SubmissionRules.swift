// The decision rules of docs/architecture.md §4.4, as a pure function of a submission and what intake knows.

import RegistrySchema
import ServiceRuntime

/// What a submission leads to.
public enum SubmissionDecision: Hashable, Sendable {
    /// Accepted: the person's new state and the accepted event's data.
    case accepted(PersonRegistrations, RegistrationAccepted)
    /// Rejected with every reason that applies, in the order of docs/architecture.md §4.4.
    case rejected([RejectionReason])
}

/// Applies docs/architecture.md §4.4 rules `IIN_BIRTHDATE_MISMATCH` … `NOT_REGISTERED` to a well-formed
/// submission (the structural ones, `MALFORMED`, `UNSUPPORTED_TYPE` and `INVALID_IIN`, are the
/// decoder's). Reason messages never contain IINs or names: rejections are read by people and
/// written to logs.
public struct SubmissionRules: Sendable {
    /// The longest temporary stay in days (`TEMPORARY_MAX_DAYS`).
    public let temporaryMaxDays: Int
    /// How far after the event's day `validFrom` may lie.
    public static let maximumDaysAhead = 30

    /// Creates the rules.
    public init(temporaryMaxDays: Int = 365) {
        self.temporaryMaxDays = temporaryMaxDays
    }

    /// Decides a submission.
    /// - Parameters:
    ///   - submission: The event's data.
    ///   - reference: The submission's (`source`, `id`).
    ///   - eventTime: The event's `time` (of its arrival when it has none): consents must be
    ///     given at or before it; its UTC day is "today" for the period rules.
    ///   - catalog: The catalog entry of `submission.rca`, if intake knows one.
    ///   - person: The person's current state.
    public func decide(
        _ submission: RegistrationSubmitted, reference: SubmissionReference, eventTime: Timestamp,
        catalog: CatalogEntry?, person: PersonRegistrations
    ) -> SubmissionDecision {
        let eventDay = eventTime.calendarDateUTC
        var reasons: [RejectionReason] = []
        func reject(_ code: RejectionCode, _ message: String) { reasons.append(RejectionReason(code: code, message: message)) }

        if let encoded = submission.person.iin.birthDate, encoded != submission.person.birthDate {
            reject(.iinBirthDateMismatch, "birthDate \(submission.person.birthDate) disagrees with the birth date the IIN encodes")
        }

        let currentTemporary = person.currentTemporary(on: eventDay)
        let ended: ActiveRegistration?  // what a deregistration ends
        let replaced: ActiveRegistration?  // what a registration replaces
        switch submission.kind {
        case .permanent, .temporary:
            ended = nil
            replaced = submission.kind == .permanent ? person.permanent : currentTemporary
            checkAddress(submission, eventTime: eventTime, catalog: catalog, reject: reject)
        case .deregistration:
            ended = submission.endedRegistration == .temporary ? currentTemporary : person.permanent
            replaced = nil
        }

        checkPeriod(submission, eventDay: eventDay, startOfReplaced: (replaced ?? ended)?.validFrom, reject: reject)

        if let rca = submission.rca, submission.kind != .deregistration {
            if person.permanent?.address.rca == rca {
                reject(.alreadyRegistered, "the person's permanent registration is already at this address")
            } else if submission.kind == .temporary, currentTemporary?.address.rca == rca {
                reject(.alreadyRegistered, "the person's temporary registration is already at this address")
            }
        }
        if submission.kind == .deregistration, ended == nil {
            reject(.notRegistered, "the person has no \(submission.endedRegistration?.rawValue ?? "permanent") registration to end")
        }

        guard reasons.isEmpty else { return .rejected(reasons) }
        return accept(submission, reference: reference, catalog: catalog, person: person, replaced: replaced, ended: ended)
    }

    private func checkAddress(
        _ submission: RegistrationSubmitted, eventTime: Timestamp, catalog: CatalogEntry?, reject: (RejectionCode, String) -> Void
    ) {
        guard let entry = catalog, !entry.retired else {
            reject(.unknownAddress, catalog == nil ? "the address catalog has no dwelling with this rca" : "the address register retired this rca")
            return
        }
        if !entry.residential {
            reject(.notResidential, "the catalog marks this dwelling non-residential")
        }
        guard !entry.owners.isEmpty, !entry.owners.contains(submission.person.iin) else { return }
        guard let consent = submission.ownerConsent else {
            reject(.ownerConsentRequired, "the dwelling has owners and the person is not one of them; an owner's consent is required")
            return
        }
        if !entry.owners.contains(consent.ownerIin) {
            reject(.ownerConsentRequired, "ownerConsent.ownerIin is not an owner of this dwelling")
        } else if consent.givenAt > eventTime {
            reject(.ownerConsentRequired, "ownerConsent.givenAt is later than the event time")
        }
    }

    private func checkPeriod(
        _ submission: RegistrationSubmitted, eventDay: CalendarDate, startOfReplaced: CalendarDate?, reject: (RejectionCode, String) -> Void
    ) {
        var problems: [String] = []
        switch submission.kind {
        case .temporary:
            if submission.validUntil == nil { problems.append("a temporary registration needs validUntil") }
        case .permanent:
            if submission.validUntil != nil { problems.append("a permanent registration has no validUntil") }
        case .deregistration:
            break
        }
        if let until = submission.validUntil, submission.kind != .deregistration {
            if until <= submission.validFrom {
                problems.append("validUntil \(until) is not after validFrom \(submission.validFrom)")
            } else if submission.kind == .temporary, until.days(since: submission.validFrom) > temporaryMaxDays {
                problems.append("a temporary stay of \(until.days(since: submission.validFrom)) days is longer than \(temporaryMaxDays)")
            }
        }
        if submission.validFrom.days(since: eventDay) > Self.maximumDaysAhead {
            problems.append("validFrom \(submission.validFrom) is more than \(Self.maximumDaysAhead) days after the event")
        }
        if let start = startOfReplaced, submission.validFrom < start {
            problems.append("validFrom \(submission.validFrom) is earlier than the start (\(start)) of the registration it would replace or end")
        }
        if !problems.isEmpty { reject(.invalidPeriod, problems.joined(separator: "; ")) }
    }

    private func accept(
        _ submission: RegistrationSubmitted, reference: SubmissionReference, catalog: CatalogEntry?, person: PersonRegistrations,
        replaced: ActiveRegistration?, ended: ActiveRegistration?
    ) -> SubmissionDecision {
        let address = submission.kind == .deregistration ? nil : catalog?.address
        let event = RegistrationAccepted(
            submission: reference, sequence: person.sequence + 1, kind: submission.kind, person: submission.person,
            address: address, previousAddress: (replaced ?? ended)?.address, validFrom: submission.validFrom,
            validUntil: submission.kind == .temporary ? submission.validUntil : nil,
            registration: submission.endedRegistration, reason: submission.kind == .deregistration ? submission.reason : nil)
        let next = person.applying(event)
        return .accepted(next, event)
    }
}
