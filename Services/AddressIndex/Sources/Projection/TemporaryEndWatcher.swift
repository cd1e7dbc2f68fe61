// Announces temporary stays that ran out: address.changed "temporary-ended", once each.

import Crypto
import Foundation
import Logging
import RegistrySchema
import ServiceLifecycle
import ServiceRuntime

/// Looks (at start and then every ``interval``) for temporary registrations whose `validUntil`
/// has surely passed and announces each once: `temporary-ended` on the day after
/// `validUntil` (docs/architecture.md §4.7), with the person's new `address.current`. The announcement and its
/// "announced" mark are one transaction, so a restart never repeats it.
///
/// Every instance runs it over every person (so their stores stay alike); the announcement is
/// published by the owner of the person's partition of the accepted topic, like the events the
/// accepted registrations cause (``PartitionOwnership``).
public final class TemporaryEndWatcher: Service, Sendable {
    let store: ServiceStore
    let relay: OutboxRelay
    let projector: RegistrationProjector
    let ownership: PartitionOwnership?
    let interval: Duration
    let logger: Logger

    init(store: ServiceStore, relay: OutboxRelay, projector: RegistrationProjector, ownership: PartitionOwnership? = nil, interval: Duration, logger: Logger) {
        self.ownership = ownership
        self.store = store
        self.relay = relay
        self.projector = projector
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await repeatUntilShutdown {
            do {
                try await self.announceEnded()
            } catch {
                self.logger.error("could not announce ended temporary registrations; will retry", metadata: ["error": "\(error)"])
            }
            // Until a consumed message has confirmed the date, and the group has told the
            // accepted topic's partition count (announcements are tagged with a partition),
            // look again soon: waiting the whole interval would delay the first ones by a minute.
            let ready = self.projector.clock.reachedDay != nil && (self.ownership.map { $0.partitionCount != nil } ?? true)
            return ready ? self.interval : .seconds(1)
        }
    }

    /// The id base of a stay's end: a digest of the person and the stay's sequence (no IIN in ids,
    /// which travel into logs and webhook headers; the same value in every rebuild).
    static func eventID(_ iin: IIN, sequence: Int) -> String {
        "temporary-ended-" + SHA256.hash(data: Data("\(iin.rawValue)/\(sequence)".utf8)).prefix(12).map { String(format: "%02x", $0) }.joined()
    }

    /// Announces every stay that ended before the day the clock has surely reached
    /// (``IndexClock/reachedDay``: a host clock running ahead does not end stays early) and was
    /// not announced yet; nothing while that day is unknown.
    /// - Returns: How many were announced.
    @discardableResult
    public func announceEnded() async throws -> Int {
        let projector = self.projector
        guard let today = projector.clock.reachedDay else { return 0 }
        // A person's partition must be known to tag the announcement with it.
        let ownership = self.ownership
        if let ownership, ownership.partitionCount == nil { return 0 }
        var total = 0
        while true {
            let announced = try await store.write { db in
                let index = IndexStore(db)
                var count = 0
                for (iin, period) in try index.unannouncedExpiries(before: today, limit: 500) {
                    guard var person = try index.person(iin), let until = period.validTo else { continue }
                    if person.openTemporary == period.sequence { person.openTemporary = nil }
                    try index.savePerson(iin, person)
                    try index.markAnnounced(iin, sequence: period.sequence)
                    let permanent = try person.openPermanent.flatMap { try index.period(iin, sequence: $0) }
                    let changed = AddressChanged(
                        iin: iin, change: .temporaryEnded, address: permanent?.address, previousAddress: period.address,
                        effectiveFrom: until, sequence: person.sequence, cause: nil)
                    let id = Self.eventID(iin, sequence: period.sequence)
                    // When the stay ended (its exclusive validUntil began), the same in every instance.
                    let ended = until.startOfDayUTC
                    let partition = ownership?.partition(ofKey: iin.rawValue)
                    try Outbox.append(
                        try projector.message(changed, id: "\(id):changed", topic: .addressChanged, key: iin.rawValue, time: ended), ownerPartition: partition, in: db)
                    try Outbox.append(try projector.current(iin, person: person, store: index, id: "\(id):current", time: ended), ownerPartition: partition, in: db)
                    count += 1
                }
                return count
            }
            total += announced
            if announced < 500 { break }
        }
        if total > 0 {
            relay.wake()
            logger.info("announced ended temporary registrations", metadata: ["count": "\(total)", "today": "\(today)"])
        }
        return total
    }
}
