// Announces temporary stays that ran out: address.changed "temporary-ended", once each.

import Logging
import RegistrySchema
import ServiceLifecycle
import ServiceRuntime

/// Looks (at start and then every ``interval``) for temporary registrations whose `validUntil`
/// has passed by the clock and announces each once: `temporary-ended` on the day after
/// `validUntil` (DESIGN §4.7), with the person's new `address.current`. The announcement and its
/// "announced" mark are one transaction, so a restart never repeats it.
public final class TemporaryEndWatcher: Service, Sendable {
    let store: ServiceStore
    let relay: OutboxRelay
    let projector: RegistrationProjector
    let interval: Duration
    let logger: Logger

    init(store: ServiceStore, relay: OutboxRelay, projector: RegistrationProjector, interval: Duration, logger: Logger) {
        self.store = store
        self.relay = relay
        self.projector = projector
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await self.announceEnded()
                } catch {
                    self.logger.error("could not announce ended temporary registrations; will retry", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    /// Announces every stay that ended before today and was not announced yet.
    /// - Returns: How many were announced.
    @discardableResult
    public func announceEnded() async throws -> Int {
        let projector = self.projector
        let today = projector.clock.today
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
                    try Outbox.append(try projector.message(changed, topic: .addressChanged, key: iin.rawValue), in: db)
                    try Outbox.append(try projector.current(iin, person: person, store: index), in: db)
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
