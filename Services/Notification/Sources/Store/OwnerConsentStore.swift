// The owners' consents that submissions carry, kept until their registration is routed.

import GRDB
import RegistrySchema
import ServiceRuntime

/// The `owner_consent` table, through a connection inside the caller's transaction or read: which
/// owner consented, in a submission, to be told the newcomer's name in the owner alert.
struct OwnerConsentStore {
    let db: Database

    init(_ db: Database) {
        self.db = db
    }

    /// Records the consent of `owner` carried by the submission `source`/`id`; a submission's
    /// first record stands (a redelivered submission changes nothing).
    func record(source: String, id: String, owner: IIN, atMilliseconds now: Int64) throws {
        try db.cachedStatement(sql: "INSERT INTO owner_consent (source, id, owner_iin, at_ms) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
            .execute(arguments: [source, id, owner, now])
    }

    /// The IIN of the owner who consented in the submission `source`/`id`, if any.
    func consentingOwner(source: String, id: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT owner_iin FROM owner_consent WHERE source = ? AND id = ?", arguments: [source, id])
    }
}
