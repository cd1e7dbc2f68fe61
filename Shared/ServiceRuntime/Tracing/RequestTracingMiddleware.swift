// A server span per HTTP request, continuing the caller's trace (W3C `traceparent`).

import HTTPTypes
import Hummingbird
import Tracing

/// Runs each request in a server span that continues the caller's trace (its `traceparent` and
/// `tracestate` headers) or starts one, while spans are exported (``EventTracing``).
///
/// The span is named after the route template (`/v1/persons/{iin}/registration`) and records the
/// method, the route and the status only: never the path, query or headers, which hold IINs and
/// tokens. Hummingbird's own tracing middleware records the path, so it is not used.
struct RequestTracingMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await span(InstrumentationSystem.tracer, request, context: context, next: next)
    }

    private func span<T: Tracer>(
        _ tracer: T, _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var parent = InstrumentationContext.topLevel
        InstrumentationSystem.instrument.extract(request.headers, into: &parent, using: HTTPFieldsExtractor())
        let span = tracer.startSpan("HTTP \(request.method.rawValue)", context: parent, ofKind: .server)
        defer { span.end() }
        span.attributes["http.request.method"] = request.method.rawValue
        do {
            let response = try await InstrumentationContext.$current.withValue(span.context) { try await next(request, context) }
            finish(span, route: context.endpointPath, method: request.method, status: Int(response.status.code))
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            finish(span, route: context.endpointPath, method: request.method, status: Int(status))
            throw error
        }
    }

    private func finish(_ span: some Span, route: String?, method: HTTPRequest.Method, status: Int) {
        if let route {
            span.operationName = "\(method.rawValue) \(route)"
            span.attributes["http.route"] = route
        }
        span.attributes["http.response.status_code"] = status
        if status >= 500 { span.setStatus(SpanStatus(code: .error)) }
    }
}

/// Reads trace context headers from a request.
struct HTTPFieldsExtractor: Extractor {
    func extract(key: String, from carrier: HTTPFields) -> String? {
        HTTPField.Name(key).flatMap { carrier[$0] }
    }
}
