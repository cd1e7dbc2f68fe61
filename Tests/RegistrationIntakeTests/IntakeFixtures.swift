// Shared fixtures: a small catalog, two people, and submissions built from them.

import Foundation
import RegistrySchema
import ServiceRuntime
@testable import RegistrationIntake

enum Fixtures {
    static let person = IIN(rawValue: "860101300126")!  // born 1986-01-01
    static let owner = IIN(rawValue: "790512400220")!  // born 1979-05-12
    static let now = Timestamp("2026-11-24T10:15:30Z")!
    static let today = CalendarDate("2026-11-24")!

    static func address(_ rca: String, flat: String? = "25") -> AddressSnapshot {
        AddressSnapshot(
            rca: RCA(rawValue: rca)!, kato: KATO(rawValue: "751110000")!, region: "Алматы", locality: "Алматы",
            street: "Абай даңғылы", building: "10", flat: flat)
    }

    /// Owned by ``owner``.
    static let ownedFlat = CatalogEntry(address: address("1000000000001"), residential: true, owners: [owner])
    /// State housing: no consent needed.
    static let stateFlat = CatalogEntry(address: address("1000000000002"), residential: true, owners: [])
    /// A shop, owned by ``owner``.
    static let shop = CatalogEntry(address: address("1000000000003", flat: nil), residential: false, owners: [owner])
    static let retiredFlat = CatalogEntry(address: address("1000000000004"), residential: true, owners: [], retired: true)
    static let otherStateFlat = CatalogEntry(address: address("1000000000005"), residential: true, owners: [])
    static let catalog = [ownedFlat, stateFlat, shop, retiredFlat, otherStateFlat]

    static func details(_ iin: IIN = person, birthDate: String = "1986-01-01") -> PersonDetails {
        PersonDetails(iin: iin, surname: "Ахметов", givenName: "Арман", patronymic: nil, birthDate: CalendarDate(birthDate)!)
    }

    static func permanent(_ entry: CatalogEntry, from: String = "2026-11-24", consent: OwnerConsent? = nil) -> RegistrationSubmitted {
        RegistrationSubmitted(kind: .permanent, person: details(), rca: entry.address.rca, validFrom: CalendarDate(from)!, ownerConsent: consent)
    }

    static func temporary(_ entry: CatalogEntry, from: String = "2026-11-24", until: String? = "2027-02-24") -> RegistrationSubmitted {
        RegistrationSubmitted(
            kind: .temporary, person: details(), rca: entry.address.rca, validFrom: CalendarDate(from)!, validUntil: until.flatMap { CalendarDate($0) })
    }

    static func deregistration(_ term: RegistrationTerm? = nil, from: String = "2026-11-24") -> RegistrationSubmitted {
        RegistrationSubmitted(
            kind: .deregistration, person: details(), rca: nil, validFrom: CalendarDate(from)!, registration: term, reason: .emigration)
    }

    static func reference(_ id: String = UUID().uuidString) -> SubmissionReference {
        SubmissionReference(source: "/egov/portal", id: id)
    }
}
