// A person's registration on a date: the body of the registration route and certificates.

import GRDB
import Hummingbird
import RegistrySchema
import ServiceRuntime

/// `{"iin","asOf","permanent":{"address","validFrom"}|null,"temporary":{"address","validFrom","validUntil"}|null}` (docs/architecture.md §5.2).
public struct RegistrationView: Hashable, Sendable, Codable, ResponseEncodable {
    public var iin: IIN
    public var asOf: CalendarDate
    public var permanent: PermanentRegistration?
    public var temporary: TemporaryRegistration?

    /// Creates a view.
    public init(iin: IIN, asOf: CalendarDate, permanent: PermanentRegistration?, temporary: TemporaryRegistration?) {
        self.iin = iin
        self.asOf = asOf
        self.permanent = permanent
        self.temporary = temporary
    }

    private enum CodingKeys: String, CodingKey { case iin, asOf, permanent, temporary }

    /// Whether `other` says the same about where the person is registered (dates of the view aside).
    func sameRegistration(as other: RegistrationView) -> Bool {
        iin == other.iin && permanent == other.permanent && temporary == other.temporary
    }
}

extension RegistrationView: JSONObjectFields {
    /// Writes every field, absent registrations as `null`. The lookup's answer is written with
    /// ``JSONWriter``, not through Codable's containers (which were 7–10 % of address-index's
    /// CPU during wrk, perf, 2026-12-02).
    public func writeFields<Fields: JSONFieldWriting>(to w: inout Fields) {
        w.field("asOf", asOf)
        w.field("iin", iin)
        w.field("permanent", permanent)
        w.field("temporary", temporary)
    }
}

extension IndexStore {
    /// The person's registration on `day`, or `nil` if the index never had one for them.
    ///
    /// One statement (the person and their periods holding on `day`), so it needs no
    /// transaction around it; the route's reading was three statements inside BEGIN and COMMIT.
    func registration(_ iin: IIN, on day: CalendarDate) throws -> RegistrationView? {
        let statement = try db.cachedStatement(sql: """
            SELECT h.iin AS person, p.kind, p.address, p.valid_from, p.valid_to, p.sequence
            FROM (SELECT ? AS iin) q
            LEFT JOIN index_person h ON h.iin = q.iin
            LEFT JOIN index_period p ON p.iin = h.iin AND p.valid_from <= ? AND (p.valid_to IS NULL OR p.valid_to > ?)
            ORDER BY p.sequence DESC
            """)
        var known = false
        var permanent: RegistrationPeriod?, temporary: RegistrationPeriod?
        let rows = try Row.fetchCursor(statement, arguments: [iin, day, day])
        while let row = try rows.next() {
            known = known || !row.hasNull(atIndex: 0)
            guard let kind = (row["kind"] as String?).flatMap(RegistrationTerm.init(rawValue:)) else { continue }
            // The latest period of each kind holding on the day comes first; older ones are not decoded.
            switch kind {
            case .permanent where permanent == nil: permanent = try period(row)
            case .temporary where temporary == nil: temporary = try period(row)
            default: continue
            }
        }
        guard known else { return nil }
        return RegistrationView(
            iin: iin, asOf: day, permanent: permanent.map { PermanentRegistration(address: $0.address, validFrom: $0.validFrom) },
            temporary: temporary.flatMap { period in period.validTo.map { TemporaryRegistration(address: period.address, validFrom: period.validFrom, validUntil: $0) } })
    }
}
