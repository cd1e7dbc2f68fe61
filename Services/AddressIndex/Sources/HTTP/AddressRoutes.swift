// GET /v1/addresses/{rca}/residents.

import Hummingbird
import RegistrySchema
import ServiceRuntime

/// Who is registered at a dwelling: for its owners and for agencies with `residents:read`.
struct AddressRoutes: Sendable {
    let store: ServiceStore
    let clock: IndexClock

    func add(to routes: RouteTable) {
        let store = self.store
        let owners = AccessPolicy(
            .check(.citizen) { principal, _, context in
                guard let rca = PathParameter.rca.validValue(in: context), let owner = IIN(rawValue: principal.subject) else { return false }
                return try await store.read { try AddressCatalog($0).entry(rca)?.owners.contains(owner) ?? false }
            },
            .scope(.agency, .residentsRead))
        routes.add(.get, "/v1/addresses/:rca/residents", policy: owners, disclosing: Disclosure(action: "residents.read", subject: .rca)) {
            _, context, caller -> ResidentsView in
            let rca = try PathParameter.rca.value(in: context)
            let today = clock.today
            let (entry, residents) = try await store.read { db in
                (try AddressCatalog(db).entry(rca), try IndexStore(db).residents(rca, on: today))
            }
            guard let address = entry?.address ?? residents.first?.period.address else {
                throw Problem.notFound("The catalog has no dwelling with this RCA.")
            }
            caller.disclose(residents.map(\.iin.rawValue))
            return ResidentsView(rca: rca, address: address, residents: residents)
        }
    }
}

/// `{"rca","address","residents":[{"iin","surname","givenName","kind","validFrom","validUntil"}]}`.
struct ResidentsView: ResponseEncodable {
    let rca: RCA
    let address: AddressSnapshot
    let residents: [IndexStore.Resident]

    private enum Keys: String, CodingKey { case rca, address, residents, iin, surname, givenName, kind, validFrom, validUntil }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(rca, forKey: .rca)
        try container.encode(address, forKey: .address)
        var list = container.nestedUnkeyedContainer(forKey: .residents)
        for resident in residents {
            var item = list.nestedContainer(keyedBy: Keys.self)
            try item.encode(resident.iin, forKey: .iin)
            try item.encode(resident.surname, forKey: .surname)
            try item.encode(resident.givenName, forKey: .givenName)
            try item.encode(resident.period.kind, forKey: .kind)
            try item.encode(resident.period.validFrom, forKey: .validFrom)
            try item.encode(resident.period.kind == .temporary ? resident.period.validTo : nil, forKey: .validUntil)
        }
    }
}
