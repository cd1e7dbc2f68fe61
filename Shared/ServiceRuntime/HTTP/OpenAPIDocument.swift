// GET /openapi.json: the service's OpenAPI 3.1 document.

import Foundation
import Hummingbird

/// A service's OpenAPI 3.1 document (docs/architecture.md §5): the operations every service has (health,
/// readiness, metrics, this document), the shared components (problem details, bearer tokens),
/// and the service's own `paths` and `components` from its ``RegistryService/openAPI`` fragment.
///
/// Written by hand rather than generated: the document is part of the public contract and says
/// more than the routes can (bodies, examples, who may call). `OpenAPIDocumentTests` checks it
/// against the routes really registered, both ways.
public struct OpenAPIDocument: Sendable {
    /// The document as JSON bytes (sorted keys).
    public let json: Data

    /// The document's operations as (method, path) pairs, e.g. `GET /health/live`.
    public let operations: Set<RouteDescription.Operation>

    /// The operations that declare a bearer-token requirement.
    public let securedOperations: Set<RouteDescription.Operation>

    /// Builds the document of a service.
    /// - Parameters:
    ///   - descriptor: The service (title, port).
    ///   - fragment: The service's own part: a JSON object with `paths` and optionally
    ///     `components`; `nil` when it has no routes of its own.
    /// - Throws: ``OpenAPIFragmentError`` when the fragment is not such an object.
    public init(descriptor: ServiceDescriptor, fragment: Data?) throws {
        var paths = Self.commonPaths
        var schemas = Self.commonSchemas
        if let fragment {
            guard let object = try? JSONSerialization.jsonObject(with: fragment) as? [String: Any],
                let own = object["paths"] as? [String: Any]
            else { throw OpenAPIFragmentError(service: descriptor.name) }
            paths.merge(own) { _, service in service }
            let components = object["components"] as? [String: Any]
            schemas.merge(components?["schemas"] as? [String: Any] ?? [:]) { _, service in service }
        }
        paths = Self.addingRateLimitAnswers(paths)
        let document: [String: Any] = [
            "openapi": "3.1.0",
            "info": ["title": descriptor.name, "version": "1", "description": descriptor.summary],
            "servers": [["url": "http://localhost:\(descriptor.defaultPort)"]],
            "paths": paths,
            "components": [
                "schemas": schemas,
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer", "bearerFormat": "JWT"]],
            ],
        ]
        json = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        var operations = Set<RouteDescription.Operation>()
        var secured = Set<RouteDescription.Operation>()
        for (path, item) in paths {
            for (method, operation) in item as? [String: Any] ?? [:] where Self.methods.contains(method) {
                let op = RouteDescription.Operation(method: method.uppercased(), path: path)
                operations.insert(op)
                if let security = (operation as? [String: Any])?["security"] as? [Any], !security.isEmpty { secured.insert(op) }
            }
        }
        self.operations = operations
        securedOperations = secured
    }

    /// Adds `GET /openapi.json`.
    public func addRoute(to routes: RouteTable) {
        let body = json
        routes.add(.get, "/openapi.json") { _, _ -> Response in
            JSONAnswer.response(bytes: body)
        }
    }

    private static let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]

    /// Every operation but the health checks may answer 429 (``RateLimitMiddleware``): said once
    /// here rather than in each fragment.
    private static func addingRateLimitAnswers(_ paths: [String: Any]) -> [String: Any] {
        let tooMany: [String: Any] = [
            "description": "Too many requests from this caller; retry after the given seconds.",
            "headers": ["Retry-After": ["schema": ["type": "integer", "minimum": 1]]],
            "content": ["application/problem+json": ["schema": ["$ref": "#/components/schemas/Problem"]]],
        ]
        var result = paths
        for (path, item) in paths where !path.hasPrefix("/health/") {
            guard var operations = item as? [String: Any] else { continue }
            for (method, operation) in operations where methods.contains(method) {
                guard var operation = operation as? [String: Any] else { continue }
                var responses = operation["responses"] as? [String: Any] ?? [:]
                if responses["429"] == nil { responses["429"] = tooMany }
                operation["responses"] = responses
                operations[method] = operation
            }
            result[path] = operations
        }
        return result
    }

    private static var commonPaths: [String: Any] {
        let problem = { (description: String) -> [String: Any] in
            ["description": description, "content": ["application/problem+json": ["schema": ["$ref": "#/components/schemas/Problem"]]]]
        }
        let json = { (description: String) -> [String: Any] in ["description": description, "content": ["application/json": ["schema": ["type": "object"]]]] }
        return [
            "/health/live": ["get": ["summary": "The process serves HTTP.", "operationId": "live", "responses": ["200": json("Live.")]]],
            "/health/ready": [
                "get": [
                    "summary": "Store open, broker reachable, consumers assigned.", "operationId": "ready",
                    "responses": ["200": json("Ready; each check is ok."), "503": json("Not ready; the failing checks are named.")],
                ]
            ],
            "/metrics": [
                "get": [
                    "summary": "Prometheus metrics (role operator).", "operationId": "metrics", "security": [["bearer": [String]()]],
                    "responses": [
                        "200": ["description": "Prometheus text format.", "content": ["text/plain": ["schema": ["type": "string"]]]],
                        "401": problem("No valid bearer token."), "403": problem("The caller is not an operator."),
                    ],
                ]
            ],
            "/openapi.json": ["get": ["summary": "This document.", "operationId": "openapi", "responses": ["200": json("OpenAPI 3.1.")]]],
        ]
    }

    private static var commonSchemas: [String: Any] {
        [
            "Problem": [
                "type": "object", "description": "RFC 9457 problem details.",
                "required": ["type", "title", "status", "detail"],
                "properties": [
                    "type": ["type": "string"], "title": ["type": "string"], "status": ["type": "integer"], "detail": ["type": "string"],
                ],
            ]
        ]
    }
}

/// A service's OpenAPI fragment is not a JSON object with `paths`.
public struct OpenAPIFragmentError: Error, CustomStringConvertible {
    /// The service.
    public let service: String
    public var description: String { "the OpenAPI fragment of \(service) is not a JSON object with \"paths\"" }
}
