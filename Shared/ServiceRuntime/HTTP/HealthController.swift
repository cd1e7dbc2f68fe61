// GET /health/live.

import Hummingbird

/// The health routes every service serves (docs/architecture.md §5).
public struct HealthController: Sendable {
    /// Creates the controller.
    public init() {}

    /// Adds `GET /health/live`: 200 while the process serves HTTP.
    public func addRoutes(to routes: RouteTable) {
        routes.add(.get, "/health/live") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"status":"live"}"#)))
        }
    }
}
