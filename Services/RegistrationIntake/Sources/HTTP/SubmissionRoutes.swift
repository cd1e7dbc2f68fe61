// POST /v1/submissions and GET /v1/submissions/{id} (docs/architecture.md §5.2).

import Foundation
import HTTPTypes
import Hummingbird
import Kafka
import RegistrySchema
import ServiceRuntime

/// Intake's HTTP face for upstream systems that cannot publish to Kafka themselves. A system
/// submits and reads statuses only under the CloudEvent sources its token's `sources` claim
/// allows.
///
/// A submission comes in structured mode (the body is the CloudEvent) or in binary mode, as the
/// CloudEvents HTTP binding defines it and SDKs send by default (`ce-` headers, the body is
/// `data`). Either way it is published to `registration.submitted.v1` in structured mode (a
/// binary one as the structured document it stands for), with the request's trace: the
/// `traceparent` header (the server span's when spans are exported), else the event's attribute.
struct SubmissionRoutes: Sendable {
    let store: ServiceStore
    let relay: OutboxRelay
    let producer: KafkaProducer
    let submittedTopic: String
    /// Above this many unsent outbox rows, and with the broker away, new submissions get 503.
    let outboxLimit: Int
    let decoder = RegistryEventDecoder()
    /// A submission's CloudEvent id (`:id`; its source is a query parameter).
    static let submissionID = PathParameter<String>("id", invalid: .badRequest("The path does not hold a submission id.")) { $0 }

    /// The answer to a submission.
    struct Receipt: ResponseEncodable {
        let source: String
        let id: String
        let status: SubmissionStatus.State
    }

    func add(to routes: RouteTable) {
        let upstream = AccessPolicy(.role(.upstream))
        routes.add(.post, "/v1/submissions", policy: upstream) { request, context, caller in
            try await submit(request, context: context, caller: caller)
        }
        // A status (its reasons above all) tells about the person: a read, recorded as one.
        routes.add(.get, "/v1/submissions/:id", policy: upstream, disclosing: Disclosure(action: "submission.status")) { request, context, caller in
            try await status(request, context: context, caller: caller)
        }
    }

    private func submit(_ request: Request, context: RegistryRequestContext, caller: Caller) async throws -> EditedResponse<Receipt> {
        let body = [UInt8](buffer: try await request.body.collect(upTo: context.maxUploadSize))
        let bytes = Data(Self.structuredEvent(body: body, headers: request.headers))
        let event: CloudEvent<RegistrationSubmitted>
        do {
            event = try decoder.decode(RegistrationSubmitted.self, from: bytes)
        } catch {
            throw Problem(
                .badRequest, type: "urn:registry:rejection:\(error.rejectionCode.rawValue)", title: error.rejectionCode.rawValue,
                detail: error.description)
        }
        let reference = event.attributes.submissionReference
        // Before anything is looked up: another system's source (and its idempotency keys) is not
        // this caller's to use, and whether it has such a submission is not its to learn.
        guard caller.principal.mayUse(source: reference.source) else { throw Self.otherSource(reference.source) }
        // A repeat needs no room in the outbox: it is answered with what intake knows.
        if let known = try await store.read({ try IntakeStore($0).status(of: reference) }) {
            return EditedResponse(status: .accepted, response: Receipt(source: reference.source, id: reference.id, status: known.status))
        }
        try await refuseWhenBackedUp()
        let key = event.data.person.iin.rawValue
        let requestTrace = EventTrace.present(traceparent: request.headers[.traceparent], tracestate: request.headers[.tracestate])
        let trace = EventTracing.current(or: EventTracing.valid(requestTrace) ?? EventTracing.valid(event.trace))
        let submitter = caller.principal.subject
        // The submitting system travels with the submission to its decision (and so to the audit).
        let message = KafkaProducerMessage(
            topic: submittedTopic, key: Array(key.utf8), value: [UInt8](bytes),
            headers: [KafkaProducerMessage.structuredContentType, KafkaHeader(key: SubmissionDesk.submitterHeader, string: submitter)]
                + (trace?.kafkaHeaders ?? []))
        let state = try await store.write { db in
            let intake = IntakeStore(db)
            // A repeated POST publishes nothing new and answers with what intake knows.
            guard try intake.recordReceived(reference, submitter: submitter, iin: key) else {
                return try intake.status(of: reference)?.status ?? .pending
            }
            try Outbox.append(message, in: db)
            return SubmissionStatus.State.pending
        }
        relay.wake()
        return EditedResponse(status: .accepted, response: Receipt(source: reference.source, id: reference.id, status: state))
    }

    /// The body as a structured-mode event: the body itself, or for binary mode (a
    /// `ce-specversion` header and a `content-type` other than `application/cloudevents…`) the
    /// structured document of the `ce-` headers (percent-decoded) and the body as `data`.
    static func structuredEvent(body: [UInt8], headers: HTTPFields) -> [UInt8] {
        guard CloudEventBinaryMode.isBinary(headers: headers.lazy.map { (name: $0.name.canonicalName, value: $0.value) }, prefix: CloudEventBinaryMode.httpPrefix)
        else { return body }
        let decoded = headers.map { (name: $0.name.canonicalName, value: CloudEventBinaryMode.percentDecoded($0.value)) }
        return CloudEventBinaryMode.structuredJSON(headers: decoded, prefix: CloudEventBinaryMode.httpPrefix, data: body.isEmpty ? nil : body)
    }

    private func refuseWhenBackedUp() async throws {
        let depth = try await store.read { try Outbox.depth(in: $0).count }
        guard depth >= outboxLimit, await !producer.isBrokerReachable() else { return }
        throw Problem(
            .serviceUnavailable, detail: "The broker is unreachable and \(depth) submissions are waiting to be sent; try again later.",
            headers: [.retryAfter: "10"])
    }

    private func status(_ request: Request, context: RegistryRequestContext, caller: Caller) async throws -> SubmissionStatus {
        let id = try Self.submissionID.value(in: context)
        guard let source = request.uri.queryParameters.get("source"), !source.isEmpty else {
            throw Problem.badRequest("The query parameter 'source' (the submission's CloudEvent source) is required.")
        }
        guard caller.principal.mayUse(source: source) else { throw Self.otherSource(source) }
        let reference = SubmissionReference(source: source, id: id)
        let (status, iin) = try await store.read { db in
            let intake = IntakeStore(db)
            return (try intake.status(of: reference), try intake.iin(of: reference))
        }
        if let iin { caller.disclose([iin]) }
        guard let status else {
            throw Problem.notFound("Intake has no submission \(id) from \(source) (yet: one published to Kafka is known once processed).")
        }
        return status
    }
}

extension SubmissionRoutes {
    /// 403 for a source the token's `sources` claim does not allow (docs/architecture.md §5.1).
    static func otherSource(_ source: String) -> Problem {
        Problem(.forbidden, detail: "This token may not use the source '\(source)': it is not among the sources of its sources claim.")
    }
}

extension SubmissionStatus: ResponseEncodable {}
