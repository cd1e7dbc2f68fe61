// "Today" for address-index: the system's UTC date, or a fixed or test-controlled one.

import Foundation
import RegistrySchema
import ServiceRuntime

/// Where address-index gets today's date from: answers "now", residents, and when a temporary
/// stay has run out. Injectable so tests (and demos, with `REGISTRY_TODAY`) can move time.
public struct IndexClock: Sendable {
    private let read: @Sendable () -> CalendarDate
    private let readReached: @Sendable () -> CalendarDate?

    /// A clock reading `today` for both answers and the end of stays.
    public init(_ today: @escaping @Sendable () -> CalendarDate) {
        read = today
        readReached = today
    }

    /// The UTC date of the host clock, with no guard against its skew (tests without a broker).
    public static let system = IndexClock { CalendarDate(utc: Date()) }

    /// The host clock's UTC date for answers; for ending stays, the date of
    /// ``TrustedClock/earliestNow``, so a host clock running ahead does not end a stay early.
    public static func system(guardedBy trusted: TrustedClock) -> IndexClock {
        IndexClock(read: { CalendarDate(utc: Date()) }, readReached: { trusted.earliestNow.map { CalendarDate(utc: $0) } })
    }

    private init(read: @escaping @Sendable () -> CalendarDate, readReached: @escaping @Sendable () -> CalendarDate?) {
        self.read = read
        self.readReached = readReached
    }

    /// Today's date, for answers.
    public var today: CalendarDate { read() }

    /// The date that has surely begun, for ending temporary stays: never later than the real date
    /// while the producers of consumed messages keep good time; `nil` until one has been seen.
    public var reachedDay: CalendarDate? { readReached() }
}
