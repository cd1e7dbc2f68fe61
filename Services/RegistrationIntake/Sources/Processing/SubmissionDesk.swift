// Handles one message of registration.submitted.v1: decode, decide, record (the dedupe), emit.

import Foundation
import Kafka
import RegistrySchema
import ServiceRuntime

/// Turns a submitted message into an accepted or rejected event (docs/architecture.md §4.4-4.6).
///
/// - A decided (`source`, `id`) produces nothing (a duplicate): a decision is recorded only
///   where none is (no row, or a pending one), before any other write, and the other writes and
///   the event follow only when it was.
/// - A message that does not decode is rejected when its `id` can be read (with `MALFORMED`,
///   `UNSUPPORTED_TYPE` or `INVALID_IIN`); a `MALFORMED` one is also dead-lettered with its bytes.
///   One without a readable `id` is only dead-lettered.
/// - Otherwise ``SubmissionRules`` decides; the person's state, the decision and the event are
///   written in the engine's transaction, so they happen exactly once.
/// - The accepted or rejected event carries the submission's trace (its `traceparent` header,
///   else its CloudEvent attribute; docs/architecture.md §4), through a span when spans are exported.
struct SubmissionDesk: Sendable {
    let rules: SubmissionRules
    let acceptedTopic: String
    let rejectedTopic: String
    /// The CloudEvent `source` of intake's events.
    let source: String
    let decoder = RegistryEventDecoder()

    init(rules: SubmissionRules, topics: TopicNames, source: String) {
        self.rules = rules
        acceptedTopic = topics.name(for: .registrationAccepted)
        rejectedTopic = topics.name(for: .registrationRejected)
        self.source = source
    }

    /// The Kafka header with the `sub` of the upstream token that posted a submission over HTTP
    /// (set by intake's HTTP route; a submission published to Kafka directly has none, unless its
    /// producer sets it: who may produce to `registration.submitted.v1` is Kafka's ACLs' call).
    static let submitterHeader = "registry-submitter"

    /// The span of deciding one submission (OpenTelemetry's messaging naming: operation, topic).
    static let spanName = "process \(RegistryTopic.registrationSubmitted.rawValue)"

    /// Handles one message value (a structured-mode event) that arrived at `arrival`.
    /// - Parameters:
    ///   - submitter: The ``submitterHeader`` of the message.
    ///   - home: The partition of the submitted topic a person's submissions belong in, if it
    ///     differs from the one this message came from (``MessageOutcome/Kind/misrouted(home:)``).
    ///   - headerTrace: The message's `traceparent`/`tracestate` headers, if any.
    func handle(
        _ value: [UInt8]?, arrival: Date, submitter: String? = nil, misplaced home: (IIN) -> Int32? = { _ in nil }, store: IntakeStore,
        headerTrace: EventTrace? = nil
    ) throws -> MessageOutcome {
        guard let value else {
            return MessageOutcome(kind: .unreadable, deadLetter: .tombstone(expected: "a submission"))
        }
        let event: CloudEvent<RegistrationSubmitted>
        do {
            event = try decoder.decode(RegistrationSubmitted.self, from: value)
        } catch {
            let parent = EventTracing.valid(headerTrace) ?? EventTracing.valid((try? decoder.decodeAttributes(from: value))?.trace)
            return try EventTracing.withSpan(Self.spanName, continuing: parent) { trace in
                try refuse(Data(value), error: error, submitter: submitter, store: store, trace: trace)
            }
        }
        let parent = EventTracing.valid(headerTrace) ?? EventTracing.valid(event.trace)
        return try EventTracing.withSpan(Self.spanName, continuing: parent) { trace in
            try decide(event, arrival: arrival, submitter: submitter, misplaced: home, store: store, trace: trace)
        }
    }

    /// Decides a submission that decoded, and records the decision.
    private func decide(
        _ event: CloudEvent<RegistrationSubmitted>, arrival: Date, submitter: String?, misplaced home: (IIN) -> Int32?, store: IntakeStore, trace: EventTrace?
    ) throws -> MessageOutcome {
        var reference = event.attributes.submissionReference
        reference.submitter = submitter
        let submission = event.data
        let iin = submission.person.iin
        // Only the owner of the person's partition knows their latest state.
        if let other = home(iin) { return MessageOutcome(kind: .misrouted(home: other)) }
        let eventTime = event.time ?? Timestamp(arrival)
        let decision = rules.decide(
            submission, reference: reference, eventTime: eventTime,
            catalog: try submission.rca.flatMap(store.catalog.entry), person: try store.person(iin))
        switch decision {
        case .accepted(let state, let accepted):
            // Recording the decision is the dedupe, so it comes before any other write.
            guard try store.recordDecision(reference, SubmissionStatus(status: .accepted, sequence: accepted.sequence), iin: iin.rawValue) else {
                return MessageOutcome(kind: .duplicate)
            }
            try store.savePerson(iin, state)
            let out = CloudEvent(id: EventID.make(), source: source, time: Timestamp(.now), data: accepted, trace: trace)
            let message = try KafkaProducerMessage.event(out, topic: acceptedTopic, key: iin.rawValue)
            try store.recordAccepted(iin, sequence: accepted.sequence, event: message.value ?? [])
            return MessageOutcome(kind: .accepted(sequence: accepted.sequence), emitted: [message])
        case .rejected(let reasons):
            return try reject(reference, iin: iin.rawValue, reasons: reasons, store: store, trace: trace)
        }
    }

    private func refuse(_ bytes: Data, error: EnvelopeError, submitter: String?, store: IntakeStore, trace: EventTrace?) throws -> MessageOutcome {
        let poison = error.rejectionCode == .malformed ? DeadLetterReason.undecodable(error) : nil
        guard var reference = decoder.submissionReference(from: bytes) else {
            return MessageOutcome(kind: .unreadable, deadLetter: .undecodable(error))
        }
        reference.submitter = submitter
        var reasons = [RejectionReason(code: error.rejectionCode, message: error.description)]
        if error.rejectionCode == .invalidIIN, let readable = try rulesDespiteInvalidIINs(bytes, store: store) { reasons = readable }
        var outcome = try reject(reference, iin: Self.submittedIIN(in: bytes), reasons: reasons, store: store, trace: trace)
        if outcome.kind != .duplicate { outcome.deadLetter = poison }
        return outcome
    }

    /// docs/architecture.md §4.4 stops only at structural failures; an IIN that fails §4.1 is not one, so the
    /// rules that do not depend on who the person is (address, residential, consent, period)
    /// still run. The invalid numbers are swapped for a neutral valid one (`000000000000`: no
    /// birth date, check digit 0) and the person is treated as unknown; the person-specific rules
    /// (birth date, already/not registered) are left out, as nothing can be said about them.
    /// - Returns: Every reason, or `nil` when the event does not decode even so.
    private func rulesDespiteInvalidIINs(_ bytes: Data, store: IntakeStore) throws -> [RejectionReason]? {
        guard var object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any], var data = object["data"] as? [String: Any] else { return nil }
        var reasons: [RejectionReason] = []
        func neutralise(_ holder: inout [String: Any], _ field: String, path: String) {
            guard let text = holder[field] as? String, let failure = IIN.validate(text) else { return }
            reasons.append(RejectionReason(code: .invalidIIN, message: "\(path): \(failure)"))
            holder[field] = "000000000000"
        }
        if var person = data["person"] as? [String: Any] {
            neutralise(&person, "iin", path: "data.person.iin")
            data["person"] = person
        }
        if var consent = data["ownerConsent"] as? [String: Any] {
            neutralise(&consent, "ownerIin", path: "data.ownerConsent.ownerIin")
            data["ownerConsent"] = consent
        }
        object["data"] = data
        guard !reasons.isEmpty, let patched = try? JSONSerialization.data(withJSONObject: object),
              let event = try? decoder.decode(RegistrationSubmitted.self, from: patched) else { return nil }
        let decision = rules.decide(
            event.data, reference: event.attributes.submissionReference, eventTime: event.time ?? Timestamp(.now),
            catalog: try event.data.rca.flatMap(store.catalog.entry), person: .unknown)
        if case .rejected(let more) = decision {
            reasons += more.filter { ![.iinBirthDateMismatch, .alreadyRegistered, .notRegistered].contains($0.code) }
        }
        return reasons
    }

    private func reject(_ reference: SubmissionReference, iin: String?, reasons: [RejectionReason], store: IntakeStore, trace: EventTrace?) throws -> MessageOutcome {
        guard try store.recordDecision(reference, SubmissionStatus(status: .rejected, reasons: reasons), iin: iin) else {
            return MessageOutcome(kind: .duplicate)
        }
        let rejected = RegistrationRejected(submission: reference, iin: iin, reasons: reasons)
        let out = CloudEvent(id: EventID.make(), source: source, time: Timestamp(.now), data: rejected, trace: trace)
        // docs/architecture.md §3: keyed by the IIN, or by the submission id when no IIN can be read.
        let message = try KafkaProducerMessage.event(out, topic: rejectedTopic, key: iin ?? reference.id)
        return MessageOutcome(kind: .rejected(reasons.map(\.code.rawValue)), emitted: [message])
    }

    /// `data.person.iin` as submitted, if the bytes are a JSON object that has it as a string.
    static func submittedIIN(in bytes: Data) -> String? {
        let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any]
        let person = (object?["data"] as? [String: Any])?["person"] as? [String: Any]
        return person?["iin"] as? String
    }
}
