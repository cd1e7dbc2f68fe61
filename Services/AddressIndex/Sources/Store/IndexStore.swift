// Reads and writes of address-index's tables, inside the caller's transaction or read.

import Foundation
import GRDB
import RegistrySchema
import ServiceRuntime

/// address-index's table access (prepared statements, one JSON coder pair for the process).
struct IndexStore {
    let db: Database
    private var encoder: SortedJSONEncoder { StoredJSON.encoder }
    private var decoder: JSONDecoder { StoredJSON.decoder }

    init(_ db: Database) {
        self.db = db
    }

    /// What the index keeps per person besides periods.
    struct PersonRow {
        var sequence: Int
        var surname: String
        var givenName: String
        var openPermanent: Int?
        var openTemporary: Int?
    }

    func person(_ iin: IIN) throws -> PersonRow? {
        let statement = try db.cachedStatement(sql: "SELECT sequence, surname, given_name, open_permanent, open_temporary FROM index_person WHERE iin = ?")
        return try Row.fetchOne(statement, arguments: [iin]).map {
            PersonRow(sequence: $0["sequence"], surname: $0["surname"], givenName: $0["given_name"], openPermanent: $0["open_permanent"], openTemporary: $0["open_temporary"])
        }
    }

    func savePerson(_ iin: IIN, _ row: PersonRow) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO index_person (iin, sequence, surname, given_name, open_permanent, open_temporary) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (iin) DO UPDATE SET sequence = excluded.sequence, surname = excluded.surname, given_name = excluded.given_name,
                open_permanent = excluded.open_permanent, open_temporary = excluded.open_temporary
            """)
        try statement.execute(arguments: [iin, row.sequence, row.surname, row.givenName, row.openPermanent, row.openTemporary])
    }

    // MARK: Periods

    private static let periodColumns = "kind, address, valid_from, valid_to, sequence"

    /// A period from a row holding the period columns.
    func period(_ row: Row) throws -> RegistrationPeriod {
        RegistrationPeriod(
            kind: RegistrationTerm(rawValue: row["kind"]) ?? .permanent, address: try decoder.decodeReadingFast(AddressSnapshot.self, from: row["address"] as Data),
            validFrom: row["valid_from"], validTo: row["valid_to"], sequence: row["sequence"])
    }

    func period(_ iin: IIN, sequence: Int) throws -> RegistrationPeriod? {
        let statement = try db.cachedStatement(sql: "SELECT \(Self.periodColumns) FROM index_period WHERE iin = ? AND sequence = ?")
        return try Row.fetchOne(statement, arguments: [iin, sequence]).map(period)
    }

    func insertPeriod(_ iin: IIN, _ period: RegistrationPeriod, endsByExpiry: Bool) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO index_period (iin, sequence, kind, rca, address, valid_from, valid_to, ends_by_expiry) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        try statement.execute(arguments: [
            iin, period.sequence, period.kind.rawValue, period.address.rca, try encoder.encode(period.address), period.validFrom, period.validTo,
            endsByExpiry,
        ])
    }

    /// Ends an open period on `day` (or leaves it if it already ends earlier); a temporary stay
    /// cut short no longer ends by expiry.
    func closePeriod(_ iin: IIN, sequence: Int, on day: CalendarDate) throws {
        let statement = try db.cachedStatement(sql: """
            UPDATE index_period SET valid_to = ?, ends_by_expiry = 0
            WHERE iin = ? AND sequence = ? AND (valid_to IS NULL OR valid_to > ?)
            """)
        try statement.execute(arguments: [day, iin, sequence, day])
    }

    func history(_ iin: IIN) throws -> [RegistrationPeriod] {
        let statement = try db.cachedStatement(sql: "SELECT \(Self.periodColumns) FROM index_period WHERE iin = ? ORDER BY sequence")
        return try Row.fetchAll(statement, arguments: [iin]).map(period)
    }

    /// A resident of a dwelling on a day.
    struct Resident {
        let iin: IIN
        let surname: String
        let givenName: String
        let period: RegistrationPeriod
    }

    func residents(_ rca: RCA, on day: CalendarDate) throws -> [Resident] {
        let statement = try db.cachedStatement(sql: """
            SELECT p.iin, p.kind, p.address, p.valid_from, p.valid_to, p.sequence, h.surname, h.given_name
            FROM index_period p JOIN index_person h ON h.iin = p.iin
            WHERE p.rca = ? AND p.valid_from <= ? AND (p.valid_to IS NULL OR p.valid_to > ?)
            ORDER BY h.surname, h.given_name, p.iin
            """)
        return try Row.fetchAll(statement, arguments: [rca, day, day]).map {
            Resident(iin: $0["iin"], surname: $0["surname"], givenName: $0["given_name"], period: try period($0))
        }
    }

    /// People registered at `rca` on `day` or from a later day (for occupancy).
    func registeredCount(_ rca: RCA, from day: CalendarDate) throws -> Int {
        let statement = try db.cachedStatement(sql: """
            SELECT COUNT(DISTINCT iin) FROM index_period WHERE rca = ? AND (valid_to IS NULL OR valid_to > ?)
            """)
        return try Int.fetchOne(statement, arguments: [rca, day]) ?? 0
    }

    /// A dwelling's occupancy as one event needs it: the people registered there on `day` or
    /// from a later day, counted up to `limit` only, and whether it stands alerted.
    struct Occupancy {
        /// At most `limit`: the scan stops there, so its cost does not grow with the residents.
        var residentsUpToLimit: Int
        var alerted: Bool
    }

    func occupancy(_ rca: RCA, from day: CalendarDate, limit: Int) throws -> Occupancy {
        let statement = try db.cachedStatement(sql: """
            SELECT (SELECT COUNT(*) FROM (SELECT DISTINCT iin FROM index_period WHERE rca = ?1 AND (valid_to IS NULL OR valid_to > ?2) LIMIT ?3)),
                   (SELECT alerted FROM index_occupancy WHERE rca = ?1)
            """)
        let row = try Row.fetchOne(statement, arguments: [rca, day, limit])!
        return Occupancy(residentsUpToLimit: row[0], alerted: (row[1] as Bool?) ?? false)
    }

    // MARK: Temporary stays running out

    /// Temporary periods that ended by expiry before `day` and were not announced yet.
    func unannouncedExpiries(before day: CalendarDate, limit: Int) throws -> [(iin: IIN, period: RegistrationPeriod)] {
        let statement = try db.cachedStatement(sql: """
            SELECT iin, \(Self.periodColumns) FROM index_period
            WHERE ends_by_expiry = 1 AND end_announced = 0 AND valid_to < ? ORDER BY valid_to LIMIT ?
            """)
        return try Row.fetchAll(statement, arguments: [day, limit]).compactMap { row in
            guard let iin = IIN(rawValue: row["iin"]) else { return nil }
            return (iin, try period(row))
        }
    }

    func markAnnounced(_ iin: IIN, sequence: Int) throws {
        try db.execute(sql: "UPDATE index_period SET end_announced = 1 WHERE iin = ? AND sequence = ?", arguments: [iin, sequence])
    }

    // MARK: Gaps

    func park(_ iin: IIN, sequence: Int, event: Data) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO index_pending (iin, sequence, event) VALUES (?, ?, ?)", arguments: [iin, sequence, event])
    }

    func takeParked(_ iin: IIN, sequence: Int) throws -> Data? {
        let event = try Data.fetchOne(db.cachedStatement(sql: "SELECT event FROM index_pending WHERE iin = ? AND sequence = ?"), arguments: [iin, sequence])
        if event != nil { try db.cachedStatement(sql: "DELETE FROM index_pending WHERE iin = ? AND sequence = ?").execute(arguments: [iin, sequence]) }
        return event
    }

    // MARK: Occupancy

    func setAlerted(_ rca: RCA, _ alerted: Bool) throws {
        try db.cachedStatement(sql: "INSERT INTO index_occupancy (rca, alerted) VALUES (?, ?) ON CONFLICT (rca) DO UPDATE SET alerted = excluded.alerted")
            .execute(arguments: [rca, alerted])
    }
}
