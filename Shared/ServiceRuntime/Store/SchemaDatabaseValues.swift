// The schema's identifiers and days as SQLite values, so SQL arguments and columns take them as
// they are.

import GRDB
import RegistrySchema

// IIN, RCA and KATO are stored as their raw value and read back through `init?(rawValue:)`,
// which checks them (GRDB's `RawRepresentable` conversion).
extension IIN: DatabaseValueConvertible {}
extension RCA: DatabaseValueConvertible {}
extension KATO: DatabaseValueConvertible {}

// A day is stored as its wire text (`2026-12-06`), which sorts as days do.
extension CalendarDate: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { wireText.databaseValue }
    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> CalendarDate? {
        String.fromDatabaseValue(dbValue).flatMap { try? CalendarDate(validating: $0) }
    }
}
