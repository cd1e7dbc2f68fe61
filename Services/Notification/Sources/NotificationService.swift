// The notification service: its identity and configuration.

import ServiceRuntime

/// The `notification` service.
public enum NotificationService: RegistryService {
    /// Name, port and configuration variables of `notification`.
    public static let descriptor = ServiceDescriptor(
        name: "notification",
        summary: "Delivers address changes to agencies' webhooks and alerts owners.",
        defaultPort: 8083
    )
}
