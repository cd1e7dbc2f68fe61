// Applies registration.accepted.v1 to the index, strictly in each person's sequence order.

import Foundation
import Kafka
import Logging
import Metrics
import RegistrySchema
import ServiceRuntime

/// Projects accepted registrations into periods, people and residents, and emits
/// `address.changed.v1`, `address.current.v1` and `address.alerts.v1` through the outbox
/// (docs/architecture.md §4.7-4.8).
///
/// Each person's events are applied in `sequence` order: a repeat (sequence already applied) is
/// ignored; an event beyond the next one is parked until the missing ones arrive (a gap is logged
/// and counted, never skipped). The events an accepted event causes carry its trace (docs/architecture.md §4).
struct RegistrationProjector: Sendable {
    let topics: TopicNames
    let source: String
    let occupancyThreshold: Int
    let clock: IndexClock
    let logger: Logger
    let decoder = RegistryEventDecoder()
    let repeats = Counter(label: "index_repeated_events_total")
    let gaps = Counter(label: "index_sequence_gaps_total")

    /// The effects of one message.
    struct Outcome: Sendable {
        var emitted: [KafkaProducerMessage] = []
        var deadLetter: DeadLetterReason?
        var applied = 0
    }

    /// The span of applying one accepted event.
    static let spanName = "process \(RegistryTopic.registrationAccepted.rawValue)"

    /// Applies one message value (a structured-mode event).
    /// - Parameter headerTrace: The message's `traceparent`/`tracestate` headers, if any.
    func handle(_ value: [UInt8]?, store: IndexStore, headerTrace: EventTrace? = nil) throws -> Outcome {
        guard let value else { return Outcome(deadLetter: .tombstone(expected: "an accepted registration")) }
        let event: CloudEvent<RegistrationAccepted>
        do {
            event = try decoder.decode(RegistrationAccepted.self, from: value)
        } catch {
            return Outcome(deadLetter: .undecodable(error))
        }
        let iin = event.data.person.iin
        var person = try store.person(iin)
        let applied = person?.sequence ?? 0
        if event.data.sequence <= applied {
            repeats.increment()
            return Outcome()
        }
        if event.data.sequence > applied + 1 {
            gaps.increment()
            logger.warning("sequence gap: parking an event until the missing ones arrive", metadata: [
                "iin": "\(iin.masked)", "applied": "\(applied)", "received": "\(event.data.sequence)",
            ])
            try store.park(iin, sequence: event.data.sequence, event: Data(value))
            return Outcome()
        }
        var outcome = Outcome()
        try EventTracing.withSpan(Self.spanName, continuing: EventTracing.valid(headerTrace) ?? EventTracing.valid(event.trace)) { trace in
            try apply(event, person: &person, store: store, trace: trace, into: &outcome)
        }
        // Parked successors that the gap held back, each with its own trace.
        while let parked = try store.takeParked(iin, sequence: event.data.sequence + outcome.applied) {
            let successor = try decoder.decode(RegistrationAccepted.self, from: parked)
            try EventTracing.withSpan(Self.spanName, continuing: EventTracing.valid(successor.trace)) { trace in
                try apply(successor, person: &person, store: store, trace: trace, into: &outcome)
            }
        }
        return outcome
    }

    /// Applies the next event of a person whose row (as stored, `nil` if new) is `stored`, and
    /// leaves the row as saved there.
    private func apply(
        _ event: CloudEvent<RegistrationAccepted>, person stored: inout IndexStore.PersonRow?, store: IndexStore, trace: EventTrace?, into outcome: inout Outcome
    ) throws {
        let data = event.data
        let iin = data.person.iin
        var person = stored ?? IndexStore.PersonRow(
            sequence: 0, surname: data.person.surname, givenName: data.person.givenName, openPermanent: nil, openTemporary: nil)
        var inserted: RegistrationPeriod?
        person.sequence = data.sequence
        person.surname = data.person.surname
        person.givenName = data.person.givenName
        let change: AddressChangeKind
        var address = data.address
        switch (data.kind, data.registration ?? .permanent) {
        case (.permanent, _):
            if let open = person.openPermanent { try store.closePeriod(iin, sequence: open, on: data.validFrom) }
            change = person.openPermanent == nil ? .registered : .moved
            if let snapshot = data.address {
                let period = RegistrationPeriod(kind: .permanent, address: snapshot, validFrom: data.validFrom, validTo: nil, sequence: data.sequence)
                try store.insertPeriod(iin, period, endsByExpiry: false)
                inserted = period
            }
            person.openPermanent = data.sequence
        case (.temporary, _):
            if let open = person.openTemporary { try store.closePeriod(iin, sequence: open, on: data.validFrom) }
            change = .temporaryRegistered
            if let snapshot = data.address {
                let period = RegistrationPeriod(kind: .temporary, address: snapshot, validFrom: data.validFrom, validTo: data.validUntil, sequence: data.sequence)
                try store.insertPeriod(iin, period, endsByExpiry: data.validUntil != nil)
                inserted = period
            }
            person.openTemporary = data.sequence
        case (.deregistration, .permanent):
            if let open = person.openPermanent { try store.closePeriod(iin, sequence: open, on: data.validFrom) }
            person.openPermanent = nil
            change = .deregistered
        case (.deregistration, .temporary):
            if let open = person.openTemporary { try store.closePeriod(iin, sequence: open, on: data.validFrom) }
            person.openTemporary = nil
            change = .temporaryEnded
            address = try person.openPermanent.flatMap { try store.period(iin, sequence: $0) }?.address
        }
        try store.savePerson(iin, person)
        stored = person
        outcome.applied += 1
        // Intake always stamps its decisions; only an event without a time gets this clock's.
        let caused = event.time ?? Timestamp(.now)
        outcome.emitted.append(try message(
            AddressChanged(iin: iin, change: change, address: address, previousAddress: data.previousAddress, effectiveFrom: data.validFrom, sequence: data.sequence, cause: event.id),
            id: "\(event.id):changed", topic: .addressChanged, key: iin.rawValue, time: caused, trace: trace))
        outcome.emitted.append(try current(iin, person: person, store: store, id: "\(event.id):current", time: caused, inserted: inserted, trace: trace))
        if let snapshot = data.address, data.kind != .deregistration {
            outcome.emitted += try occupancy(snapshot, from: data.validFrom, store: store, id: "\(event.id):alert", time: caused, trace: trace)
        }
    }

    /// The `address.current.v1` message of a person: what is open now, or a tombstone.
    /// - Parameters:
    ///   - inserted: A period just inserted in this transaction, which need not be read back.
    ///   - trace: The trace of what caused it; a tombstone carries it as headers only.
    func current(
        _ iin: IIN, person: IndexStore.PersonRow, store: IndexStore, id: String, time: Timestamp, inserted: RegistrationPeriod? = nil, trace: EventTrace? = nil
    ) throws -> KafkaProducerMessage {
        func open(_ sequence: Int) throws -> RegistrationPeriod? {
            if let inserted, inserted.sequence == sequence { return inserted }
            return try store.period(iin, sequence: sequence)
        }
        let permanent = try person.openPermanent.flatMap(open)
        let temporary = try person.openTemporary.flatMap(open).flatMap { period in
            // A stay is current until its (exclusive) validUntil has surely begun, not by a clock running ahead.
            period.validTo.map { $0 > (clock.reachedDay ?? clock.today) ? period : nil } ?? period
        }
        let topic = topics.name(for: .addressCurrent)
        guard permanent != nil || temporary != nil else {
            return KafkaProducerMessage(topic: topic, key: Array(iin.rawValue.utf8), value: nil, headers: trace?.kafkaHeaders ?? [])
        }
        let data = AddressCurrent(
            iin: iin, permanent: permanent.map { PermanentRegistration(address: $0.address, validFrom: $0.validFrom) },
            temporary: temporary.flatMap { period in period.validTo.map { TemporaryRegistration(address: period.address, validFrom: period.validFrom, validUntil: $0) } },
            sequence: person.sequence)
        return try message(data, id: id, topic: .addressCurrent, key: iin.rawValue, time: time, trace: trace)
    }

    private func occupancy(_ address: AddressSnapshot, from day: CalendarDate, store: IndexStore, id: String, time: Timestamp, trace: EventTrace?) throws -> [KafkaProducerMessage] {
        let from = min(day, clock.today)
        // Counting stops just above the threshold; only an alert needs the exact number.
        let occupancy = try store.occupancy(address.rca, from: from, limit: occupancyThreshold + 1)
        let over = occupancy.residentsUpToLimit > occupancyThreshold, alerted = occupancy.alerted
        if over, !alerted {
            let residents = try store.registeredCount(address.rca, from: from)
            try store.setAlerted(address.rca, true)
            let alert = OccupancyAlert(rca: address.rca, kato: address.kato, residents: residents, threshold: occupancyThreshold)
            return [try message(alert, id: id, topic: .addressAlerts, key: address.rca.rawValue, time: time, trace: trace)]
        }
        if !over, alerted { try store.setAlerted(address.rca, false) }
        return []
    }

    /// An outgoing event. Its id derives from what caused it (the accepted event's id and a
    /// suffix), so replaying the accepted topic — after a crash or in a rebuild — produces the
    /// same events, which consumers dedupe by id. Its `time` is its cause's too (the accepted
    /// event's, or the instant a stay ended), not this instance's clock: every instance computes
    /// the events of every partition, and after a handover the next owner publishes its own copy
    /// of those the last one may have sent; with the clock's time a repeated id carried a
    /// different event.
    func message<D: RegistryEventData>(_ data: D, id: String, topic: RegistryTopic, key: String, time: Timestamp, trace: EventTrace? = nil) throws -> KafkaProducerMessage {
        let event = CloudEvent(id: id, source: source, time: time, data: data, trace: trace)
        return try .event(event, topic: topics.name(for: topic), key: key)
    }
}
