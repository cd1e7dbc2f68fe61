// The registration-intake service: its identity and configuration.

import ServiceRuntime

/// The `registration-intake` service.
public enum RegistrationIntakeService: RegistryService {
    /// Name, port and configuration variables of `registration-intake`.
    public static let descriptor = ServiceDescriptor(
        name: "registration-intake",
        summary: "Decides which registration submissions become facts (the write side).",
        defaultPort: 8081,
        eventSource: "/registry/intake"
    )
}
