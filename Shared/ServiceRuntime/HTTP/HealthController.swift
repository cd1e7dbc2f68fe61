// GET /health/live.

import Hummingbird

/// The health routes every service serves (docs/architecture.md §5).
public struct HealthController: Sendable {
    /// Creates the controller.
    public init() {}

    private static let live = Array(#"{"status":"live"}"#.utf8)

    /// Adds `GET /health/live`: 200 while the process serves HTTP.
    public func addRoutes(to routes: RouteTable) {
        routes.add(.get, "/health/live") { _, _ -> Response in
            JSONAnswer.response(bytes: Self.live)
        }
    }
}
