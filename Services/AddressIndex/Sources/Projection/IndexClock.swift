// "Today" for address-index: the system's UTC date, or a fixed or test-controlled one.

import Foundation
import RegistrySchema

/// Where address-index gets today's date from: answers "now", residents, and when a temporary
/// stay has run out. Injectable so tests (and demos, with `REGISTRY_TODAY`) can move time.
public struct IndexClock: Sendable {
    private let read: @Sendable () -> CalendarDate

    /// A clock reading `today`.
    public init(_ today: @escaping @Sendable () -> CalendarDate) {
        read = today
    }

    /// The UTC date of the system clock.
    public static let system = IndexClock { CalendarDate(utc: Date()) }

    /// Today's date.
    public var today: CalendarDate { read() }
}
