// Reads and writes of intake's tables, inside the caller's transaction.

import Foundation
import GRDB
import RegistrySchema
import ServiceRuntime

/// Intake's table access. Statements are cached per connection (prepared once); one JSON
/// coder pair serves the process. Public for the reads `registryctl` makes of a store copy.
public struct IntakeStore {
    let db: Database
    private var encoder: SortedJSONEncoder { StoredJSON.encoder }
    private var decoder: JSONDecoder { StoredJSON.decoder }

    /// Reads and writes inside `db`'s current transaction.
    public init(_ db: Database) {
        self.db = db
    }

    // MARK: Catalog

    /// The shared catalog copy, in the same transaction.
    var catalog: AddressCatalog { AddressCatalog(db) }

    // MARK: Persons

    func person(_ iin: IIN) throws -> PersonRegistrations {
        let statement = try db.cachedStatement(sql: "SELECT state FROM intake_person WHERE iin = ?")
        return try Data.fetchOne(statement, arguments: [iin]).map { try decoder.decodeReadingFast(PersonRegistrations.self, from: $0) } ?? .unknown
    }

    func savePerson(_ iin: IIN, _ state: PersonRegistrations) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO intake_person (iin, state) VALUES (?, ?) ON CONFLICT (iin) DO UPDATE SET state = excluded.state
            """)
        try statement.execute(arguments: [iin, try encoder.encode(state)])
    }

    // MARK: Submissions

    /// The status of a submission, if intake knows it. (Who may see it is decided by source,
    /// before: docs/architecture.md §5.1.)
    func status(of reference: SubmissionReference) throws -> SubmissionStatus? {
        let statement = try db.cachedStatement(sql: "SELECT status, sequence, reasons FROM intake_submission WHERE source = ? AND id = ?")
        guard let row = try Row.fetchOne(statement, arguments: [reference.source, reference.id]) else { return nil }
        let reasons: Data? = row["reasons"]
        return SubmissionStatus(
            status: SubmissionStatus.State(rawValue: row["status"]) ?? .pending, sequence: row["sequence"],
            reasons: try reasons.map { try decoder.decode([RejectionReason].self, from: $0) })
    }

    /// The IIN a submission concerns, as submitted, if intake knows it.
    func iin(of reference: SubmissionReference) throws -> String? {
        let statement = try db.cachedStatement(sql: "SELECT iin FROM intake_submission WHERE source = ? AND id = ?")
        return try String.fetchOne(statement, arguments: [reference.source, reference.id])
    }

    /// Keeps an accepted event's bytes, in publication order.
    func recordAccepted(_ iin: IIN, sequence: Int, event: [UInt8]) throws {
        let statement = try db.cachedStatement(sql: "INSERT INTO intake_accepted (iin, sequence, event) VALUES (?, ?, ?)")
        try statement.execute(arguments: [iin, sequence, Data(event)])
    }

    /// How many accepted events the store keeps.
    public func acceptedCount() throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM intake_accepted")) ?? 0
    }

    /// Up to `limit` accepted events after `position`, in publication order (`registryctl
    /// republish` pages through them).
    public func accepted(after position: Int64, limit: Int) throws -> [AcceptedEventRecord] {
        let statement = try db.cachedStatement(sql: "SELECT position, iin, event FROM intake_accepted WHERE position > ? ORDER BY position LIMIT ?")
        return try Row.fetchAll(statement, arguments: [position, limit]).map { row in
            AcceptedEventRecord(position: row["position"], iin: row["iin"], event: row["event"])
        }
    }

    /// Keeps an accepted event another instance published (a repeat is ignored).
    func recordAcceptedIfAbsent(_ iin: IIN, sequence: Int, event: [UInt8]) throws {
        let statement = try db.cachedStatement(sql: "INSERT INTO intake_accepted (iin, sequence, event) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
        try statement.execute(arguments: [iin, sequence, Data(event)])
    }

    /// Takes back the decisions on `submissions` that were never published: a submission received
    /// here over HTTP is pending again, any other is unknown again (it is decided anew when read).
    func forgetDecisions(_ submissions: [SubmissionReference]) throws {
        let reopen = try db.cachedStatement(sql: """
            UPDATE intake_submission SET status = 'pending', sequence = NULL, reasons = NULL WHERE source = ? AND id = ? AND submitter IS NOT NULL
            """)
        let delete = try db.cachedStatement(sql: "DELETE FROM intake_submission WHERE source = ? AND id = ? AND submitter IS NULL")
        for reference in submissions {
            try reopen.execute(arguments: [reference.source, reference.id])
            try delete.execute(arguments: [reference.source, reference.id])
        }
    }

    /// Takes back a person's accepted events from `sequence` on (never published) and rebuilds
    /// their state from the events before it.
    func forgetAccepted(_ iin: IIN, from sequence: Int) throws {
        try db.execute(sql: "DELETE FROM intake_accepted WHERE iin = ? AND sequence >= ?", arguments: [iin, sequence])
        var state = PersonRegistrations.unknown
        let events = try Data.fetchAll(db, sql: "SELECT event FROM intake_accepted WHERE iin = ? ORDER BY sequence", arguments: [iin])
        for bytes in events {
            state = state.applying(try Self.eventDecoder.decode(RegistrationAccepted.self, from: Array(bytes)).data)
        }
        if state.sequence == 0 {
            try db.execute(sql: "DELETE FROM intake_person WHERE iin = ?", arguments: [iin])
        } else {
            try savePerson(iin, state)
        }
    }
    private static let eventDecoder = RegistryEventDecoder()

    /// Records the decision on a submission unless one is recorded already (a pending one is
    /// replaced): one statement both dedupes and writes.
    /// - Returns: false when the submission was decided before (nothing is written).
    func recordDecision(_ reference: SubmissionReference, _ status: SubmissionStatus, iin: String? = nil) throws -> Bool {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO intake_submission (source, id, status, sequence, reasons, iin) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (source, id) DO UPDATE SET status = excluded.status, sequence = excluded.sequence, reasons = excluded.reasons,
                iin = COALESCE(excluded.iin, intake_submission.iin)
            WHERE intake_submission.status = 'pending'
            """)
        try statement.execute(arguments: [
            reference.source, reference.id, status.status.rawValue, status.sequence, try status.reasons.map { try encoder.encode($0) }, iin,
        ])
        return db.changesCount == 1
    }

    /// Records a submission received over HTTP as pending.
    /// - Returns: false when intake already knows it (nothing is written).
    func recordReceived(_ reference: SubmissionReference, submitter: String, iin: String? = nil) throws -> Bool {
        try db.execute(
            sql: "INSERT INTO intake_submission (source, id, status, submitter, iin) VALUES (?, ?, 'pending', ?, ?) ON CONFLICT DO NOTHING",
            arguments: [reference.source, reference.id, submitter, iin])
        return db.changesCount == 1
    }
}

/// An accepted event as intake keeps it: its bytes as published, and the person's IIN (its key).
public struct AcceptedEventRecord: Sendable {
    /// Its place in publication order.
    public let position: Int64
    /// The person's IIN, the message key.
    public let iin: String
    /// The CloudEvent as published.
    public let event: Data
}
