// RFC 9457 problem details: the body of every error response.

import Foundation
import GRDB
import Hummingbird
import Logging

/// An error answered as `application/problem+json` (RFC 9457) with `type`, `title`, `status`
/// and `detail`. Handlers throw it; ``ProblemMiddleware`` turns anything thrown into one.
public struct Problem: Error, HTTPResponseError, Sendable {
    /// The HTTP status.
    public let status: HTTPResponse.Status
    /// A URI reference naming the problem type.
    public let type: String
    /// A short summary of the problem type.
    public let title: String
    /// What went wrong in this request, for a person.
    public let detail: String
    /// Headers to add (e.g. `Retry-After`).
    public let headers: HTTPFields

    /// Creates a problem.
    public init(_ status: HTTPResponse.Status, type: String? = nil, title: String? = nil, detail: String, headers: HTTPFields = [:]) {
        self.status = status
        self.type = type ?? "about:blank"
        self.title = title ?? status.reasonPhrase
        self.detail = detail
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try JSONAnswer.response(
            ["type": type, "title": title, "status": Int(status.code), "detail": detail], status: status, headers: headers,
            contentType: "application/problem+json")
    }

    /// 400 naming what is wrong with the request.
    public static func badRequest(_ detail: String) -> Problem { Problem(.badRequest, detail: detail) }
    /// 401: no or invalid credentials.
    public static func unauthorized(_ detail: String) -> Problem {
        Problem(.unauthorized, detail: detail, headers: [.wwwAuthenticate: "Bearer"])
    }
    /// 403: the caller may not do this. The detail never says whether the subject exists.
    public static let forbidden = Problem(.forbidden, detail: "The caller is not allowed to access this resource.")
    /// 404 for a path or resource that does not exist.
    public static func notFound(_ detail: String = "There is nothing at this path.") -> Problem { Problem(.notFound, detail: detail) }
}

/// Turns every error that reaches it into a problem+json response: routing 404s, 413 from the
/// body limit, 405, decoding errors and unexpected failures (500, without internals).
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    /// Creates the middleware.
    public init(logger: Logger) {
        self.logger = logger
    }

    /// Whether SQLite says the storage, not the request, failed.
    static func isStorageFailure(_ error: DatabaseError) -> Bool {
        switch error.resultCode {
        case .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_BUSY: true
        default: false
        }
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            throw problem
        } catch let error as any HTTPResponseError {
            // Hummingbird's own errors (HTTPError, and NIOTooManyBytesError for the body limit).
            let detail: String
            switch error.status {
            case .notFound: detail = "There is nothing at \(request.uri.path)."
            case .contentTooLarge: detail = "The request body is larger than this service accepts (\(context.maxUploadSize) bytes)."
            case .methodNotAllowed: detail = "\(request.method) is not allowed on \(request.uri.path)."
            default: detail = (error as? HTTPError)?.body ?? error.status.reasonPhrase
            }
            throw Problem(error.status, detail: detail, headers: (error as? HTTPError)?.headers ?? [:])
        } catch let error as DecodingError {
            throw Problem.badRequest("The body is not valid: \(error.problemDescription)")
        } catch let error as DatabaseError where Self.isStorageFailure(error) {
            // Disk full, read-only or failing: the request may succeed later; nothing was written.
            logger.error("the store cannot be written", metadata: ["path": "\(context.endpointPath ?? "?")", "error": "\(error.resultCode)"])
            throw Problem(
                .serviceUnavailable, detail: "The service cannot write to its store (disk full, read-only or failing); nothing was recorded. Try again later.",
                headers: [.retryAfter: "30"])
        } catch {
            logger.error("request failed", metadata: ["path": "\(context.endpointPath ?? "?")", "error": "\(error)"])
            throw Problem(.internalServerError, detail: "The request could not be completed; it has been logged.")
        }
    }
}

extension DecodingError {
    /// Where and what, e.g. `data.person.iin: expected String`.
    public var problemDescription: String {
        func path(_ context: Context) -> String {
            let joined = context.codingPath.reduce(into: "") { path, key in
                if let index = key.intValue { path += "[\(index)]" } else { path += (path.isEmpty ? "" : ".") + key.stringValue }
            }
            return joined.isEmpty ? "body" : joined
        }
        switch self {
        case .keyNotFound(let key, let context): return "\(path(context)).\(key.stringValue): missing required field"
        case .typeMismatch(let type, let context): return "\(path(context)): expected \(type)"
        case .valueNotFound(let type, let context): return "\(path(context)): expected \(type), found null"
        case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(self)"
        }
    }
}
