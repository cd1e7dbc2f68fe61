// The address-index service: its identity and configuration.

import ServiceRuntime

/// The `address-index` service.
public enum AddressIndexService: RegistryService {
    /// Name, port and configuration variables of `address-index`.
    public static let descriptor = ServiceDescriptor(
        name: "address-index",
        summary: "Answers who is registered where, now and on any date; issues certificates.",
        defaultPort: 8082
    )
}
