// What a route discloses, declared next to the route, and the wrapper that audits it.

import Foundation
import Hummingbird
import RegistrySchema
import Synchronization

/// A route that answers with personal data: the action it performs and where its subjects are.
///
/// Every answer such a route gives to an admitted caller (any 2xx, and 404, which also tells
/// something about the subject) is recorded as an `access.logged` event before it is sent, and
/// carries `Cache-Control: no-store`: no shared or browser cache may keep personal data.
public struct Disclosure: Sendable {
    /// What is done, e.g. `registration.read` (the event's `action`).
    public let action: String
    /// The name of the path parameter naming the subject (an IIN or RCA), if the path has one.
    /// Handlers add any further subjects with ``Caller/disclose(_:)``.
    public let subjectParameter: String?

    /// Declares a disclosure whose subjects the handler names (``Caller/disclose(_:)``).
    public init(action: String) {
        self.action = action
        subjectParameter = nil
    }

    /// Declares a disclosure of the subject in the path parameter `subject`.
    public init<Subject>(action: String, subject: PathParameter<Subject>) {
        self.action = action
        subjectParameter = subject.name
    }

    /// `Cache-Control` of every answer that carries personal data.
    public static let noStore = "no-store"

    /// Wraps an admitted caller's handler so its answer leaves only after it is recorded.
    func auditing<Output: ResponseGenerator>(
        _ handler: @escaping @Sendable (Request, RegistryRequestContext, Caller) async throws -> Output,
        log: AccessLog, service: String
    ) -> @Sendable (Request, RegistryRequestContext, Caller) async throws -> Response {
        { request, context, caller in
            var response: Response
            do {
                response = try await handler(request, context, caller).response(from: request, context: context)
            } catch let problem as Problem where problem.status == .notFound {
                try await record(status: problem.status, request: request, context: context, caller: caller, log: log, service: service)
                var headers = problem.headers
                headers[.cacheControl] = Self.noStore
                throw Problem(problem.status, type: problem.type, title: problem.title, detail: problem.detail, headers: headers)
            }
            if (200..<300).contains(response.status.code) {
                try await record(status: response.status, request: request, context: context, caller: caller, log: log, service: service)
                response.headers[.cacheControl] = Self.noStore
            }
            return response
        }
    }

    private func record(
        status: HTTPResponse.Status, request: Request, context: RegistryRequestContext, caller: Caller, log: AccessLog, service: String
    ) async throws {
        var subjects = subjectParameter.flatMap { context.parameters.get($0) }.map { [$0] } ?? []
        var seen = Set(subjects)
        for subject in caller.disclosed.subjects where seen.insert(subject).inserted { subjects.append(subject) }
        let principal = caller.principal
        try await record(
            actor: AccessActor(sub: principal.subject, role: principal.role.rawValue, org: principal.organisation), purpose: caller.purpose,
            subjects: subjects, request: request, status: status, log: log, service: service)
    }

    /// The most subjects one `access.logged` event names; a longer list (a watch-list, a batch)
    /// is recorded as several events, committed together.
    public static let subjectsPerEvent = 1_000

    /// Records one answer as `access.logged` events and returns once they are durable: for
    /// routes that decide themselves whom they disclose to (one open to callers without a token,
    /// such as certificate verification). Guarded routes get this from ``RouteTable``.
    /// - Throws: ``Problem`` 503 when the access could not be recorded (the data must then not
    ///   be sent).
    public func record(
        actor: AccessActor, purpose: String?, subjects: [String], request: Request, status: HTTPResponse.Status, log: AccessLog, service: String
    ) async throws {
        let at = Timestamp(.now)
        let events = stride(from: 0, to: max(subjects.count, 1), by: Self.subjectsPerEvent).map { start in
            AccessLogged(
                service: service, actor: actor, purpose: purpose, action: action,
                subjects: Array(subjects[start..<min(start + Self.subjectsPerEvent, subjects.count)]), method: request.method.rawValue,
                path: request.uri.path, status: Int(status.code), at: at)
        }
        do {
            try await log.record(events)
        } catch {
            throw Problem(
                .serviceUnavailable,
                detail: "The access could not be recorded in the audit log, so the data is withheld. Try again shortly.",
                headers: [.retryAfter: "1"])
        }
    }
}

/// The subjects a handler disclosed beyond the path's own (batch lookups, residents).
final class DisclosedSubjects: Sendable {
    private let list = Mutex<[String]>([])

    func add(_ subjects: some Sequence<String>) {
        list.withLock { $0.append(contentsOf: subjects) }
    }

    var subjects: [String] { list.withLock { $0 } }
}
