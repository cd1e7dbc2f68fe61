// The audit service: its identity and configuration.

import ServiceRuntime

/// The `audit` service.
public enum AuditService: RegistryService {
    /// Name, port and configuration variables of `audit`.
    public static let descriptor = ServiceDescriptor(
        name: "audit",
        summary: "Keeps a tamper-evident record of every event and every access.",
        defaultPort: 8084
    )
}
