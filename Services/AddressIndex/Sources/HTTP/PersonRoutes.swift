// GET /v1/persons/{iin}/registration|history|certificate and POST /v1/registrations:batch.

import Foundation
import Hummingbird
import RegistrySchema
import ServiceRuntime

/// The person routes of address-index (docs/architecture.md §5.2). Who may call them is declared here.
struct PersonRoutes: Sendable {
    let store: ServiceStore
    let clock: IndexClock
    let certificates: CertificateAuthority

    /// A citizen reading their own data, or an agency with `address:read`.
    static let readers = AccessPolicy(.selfOnly(.citizen, parameter: .iin), .scope(.agency, .addressRead))

    func add(to routes: RouteTable) {
        routes.add(.get, "/v1/persons/:iin/registration", policy: Self.readers, disclosing: Disclosure(action: "registration.read", subject: .iin)) {
            request, context, _ -> RegistrationView in
            let iin = try PathParameter.iin.value(in: context)
            let day = try Self.date(request.uri.queryParameters.get("at")) ?? clock.today
            guard let view = try await store.readOneStatement({ try IndexStore($0).registration(iin, on: day) }) else { throw Self.neverRegistered }
            return view
        }
        routes.add(.get, "/v1/persons/:iin/history", policy: Self.readers, disclosing: Disclosure(action: "history.read", subject: .iin)) {
            _, context, _ -> HistoryView in
            let iin = try PathParameter.iin.value(in: context)
            let periods = try await store.read { db -> [RegistrationPeriod]? in
                let index = IndexStore(db)
                return try index.person(iin) == nil ? nil : try index.history(iin)
            }
            guard let periods else { throw Self.neverRegistered }
            return HistoryView(iin: iin, periods: periods)
        }
        routes.add(.get, "/v1/persons/:iin/certificate", policy: Self.readers, disclosing: Disclosure(action: "certificate.issue", subject: .iin)) {
            _, context, _ -> CertificateView in
            let iin = try PathParameter.iin.value(in: context)
            let today = clock.today
            guard let view = try await store.readOneStatement({ try IndexStore($0).registration(iin, on: today) }) else { throw Self.neverRegistered }
            let (token, expiresAt) = try await certificates.issue(view)
            return CertificateView(certificate: token, expiresAt: expiresAt)
        }
        routes.add(.post, "/v1/registrations:batch", policy: AccessPolicy(.scope(.agency, .addressBulk)), disclosing: Disclosure(action: "registration.batch")) {
            request, context, caller -> BatchView in
            let body = try await request.decode(as: BatchRequest.self, context: context)
            guard (1...1_000).contains(body.iins.count) else { throw Problem.badRequest("iins must hold 1 to 1000 IINs; it holds \(body.iins.count).") }
            let day = try Self.date(body.at) ?? clock.today
            caller.disclose(body.iins.filter { IIN(rawValue: $0) != nil })
            let results = try await store.read { db in
                let index = IndexStore(db)
                return try body.iins.map { text -> BatchView.Result in
                    guard let iin = IIN(rawValue: text) else { return .error(text, "invalid IIN") }
                    guard let view = try index.registration(iin, on: day) else { return .error(text, "no registration known") }
                    return .found(view)
                }
            }
            return BatchView(results: results)
        }
    }

    static let neverRegistered = Problem.notFound("This person has never had a registration.")

    static func date(_ text: String?) throws -> CalendarDate? {
        guard let text else { return nil }
        guard let date = CalendarDate(text) else { throw Problem.badRequest("'\(text)' is not a date (YYYY-MM-DD).") }
        return date
    }
}

/// `{"iin","periods":[{"kind","address","validFrom","validTo"|null,"sequence"}]}`.
struct HistoryView: ResponseEncodable {
    let iin: IIN
    let periods: [RegistrationPeriod]

    private enum Keys: String, CodingKey { case iin, periods, kind, address, validFrom, validTo, sequence }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(iin, forKey: .iin)
        var list = container.nestedUnkeyedContainer(forKey: .periods)
        for period in periods {
            var item = list.nestedContainer(keyedBy: Keys.self)
            try item.encode(period.kind, forKey: .kind)
            try item.encode(period.address, forKey: .address)
            try item.encode(period.validFrom, forKey: .validFrom)
            try item.encode(period.validTo, forKey: .validTo)
            try item.encode(period.sequence, forKey: .sequence)
        }
    }
}

/// `{"certificate","expiresAt"}`.
struct CertificateView: ResponseEncodable {
    let certificate: String
    let expiresAt: Timestamp
}

/// `{"iins":[…],"at"?}`.
struct BatchRequest: Decodable {
    let iins: [String]
    let at: String?
}

/// `{"results":[{"iin","permanent","temporary"} | {"iin","error"}]}`.
struct BatchView: ResponseEncodable {
    enum Result: Encodable {
        case found(RegistrationView)
        case error(String, String)

        private enum Keys: String, CodingKey { case iin, permanent, temporary, error }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            switch self {
            case .found(let view):
                try container.encode(view.iin, forKey: .iin)
                try container.encode(view.permanent, forKey: .permanent)
                try container.encode(view.temporary, forKey: .temporary)
            case .error(let iin, let problem):
                try container.encode(iin, forKey: .iin)
                try container.encode(problem, forKey: .error)
            }
        }
    }

    let results: [Result]
}
