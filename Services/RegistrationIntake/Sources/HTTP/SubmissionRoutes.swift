// POST /v1/submissions and GET /v1/submissions/{id} (DESIGN §5.2).

import Foundation
import Hummingbird
import Kafka
import RegistrySchema
import ServiceRuntime

/// Intake's HTTP face for upstream systems that cannot publish to Kafka themselves.
struct SubmissionRoutes: Sendable {
    let store: ServiceStore
    let relay: OutboxRelay
    let producer: KafkaProducer
    let submittedTopic: String
    /// Above this many unsent outbox rows, and with the broker away, new submissions get 503.
    let outboxLimit: Int
    let decoder = RegistryEventDecoder()

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
        routes.add(.get, "/v1/submissions/:id", policy: upstream) { request, context, caller in
            try await status(request, context: context, caller: caller)
        }
    }

    private func submit(_ request: Request, context: RegistryRequestContext, caller: Caller) async throws -> EditedResponse<Receipt> {
        let bytes = Data(buffer: try await request.body.collect(upTo: context.maxUploadSize))
        let event: CloudEvent<RegistrationSubmitted>
        do {
            event = try decoder.decode(RegistrationSubmitted.self, from: bytes)
        } catch {
            throw Problem(
                .badRequest, type: "urn:registry:rejection:\(error.rejectionCode.rawValue)", title: error.rejectionCode.rawValue,
                detail: error.description)
        }
        let reference = event.attributes.submissionReference
        // A repeat needs no room in the outbox: it is answered with what intake knows.
        if let known = try await store.read({ try IntakeStore($0).status(of: reference) }) {
            return EditedResponse(status: .accepted, response: Receipt(source: reference.source, id: reference.id, status: known.status))
        }
        try await refuseWhenBackedUp()
        let key = event.data.person.iin.rawValue
        let message = KafkaProducerMessage(
            topic: submittedTopic, key: Array(key.utf8), value: [UInt8](bytes),
            headers: [KafkaHeader(key: CloudEventsContentType.headerName, string: CloudEventsContentType.structuredJSON)])
        let submitter = caller.principal.subject
        let state = try await store.write { db in
            let intake = IntakeStore(db)
            // A repeated POST publishes nothing new and answers with what intake knows.
            guard try intake.recordReceived(reference, submitter: submitter) else {
                return try intake.status(of: reference)?.status ?? .pending
            }
            try Outbox.append(message, in: db)
            return SubmissionStatus.State.pending
        }
        relay.wake()
        return EditedResponse(status: .accepted, response: Receipt(source: reference.source, id: reference.id, status: state))
    }

    private func refuseWhenBackedUp() async throws {
        let depth = try await store.read { try Outbox.depth(in: $0).count }
        guard depth >= outboxLimit, await !producer.isBrokerReachable() else { return }
        throw Problem(
            .serviceUnavailable, detail: "The broker is unreachable and \(depth) submissions are waiting to be sent; try again later.",
            headers: [.retryAfter: "10"])
    }

    private func status(_ request: Request, context: RegistryRequestContext, caller: Caller) async throws -> SubmissionStatus {
        guard let id = context.parameters.get("id"), let source = request.uri.queryParameters.get("source"), !source.isEmpty else {
            throw Problem.badRequest("The query parameter 'source' (the submission's CloudEvent source) is required.")
        }
        let reference = SubmissionReference(source: source, id: id)
        let submitter = caller.principal.subject
        guard let status = try await store.read({ try IntakeStore($0).status(of: reference, visibleTo: submitter) }) else {
            throw Problem.notFound("Intake has no submission \(id) from \(source) (yet: one published to Kafka is known once processed).")
        }
        return status
    }
}

extension SubmissionStatus: ResponseEncodable {}
