// Every CloudEvent `type` of the contract (docs/architecture.md §3-4).

/// The CloudEvent `type` strings of the registry, each with its `data` type, JSON Schema and topic.
public enum EventType: String, CaseIterable, Sendable, Codable {
    /// `kz.registry.address.upserted.v1` (docs/architecture.md §4.2), data ``AddressUpserted``.
    case addressUpserted = "kz.registry.address.upserted.v1"
    /// `kz.registry.address.retired.v1` (docs/architecture.md §4.2), data ``AddressRetired``.
    case addressRetired = "kz.registry.address.retired.v1"
    /// `kz.registry.registration.submitted.v1` (docs/architecture.md §4.3), data ``RegistrationSubmitted``.
    case registrationSubmitted = "kz.registry.registration.submitted.v1"
    /// `kz.registry.registration.accepted.v1` (docs/architecture.md §4.5), data ``RegistrationAccepted``.
    case registrationAccepted = "kz.registry.registration.accepted.v1"
    /// `kz.registry.registration.rejected.v1` (docs/architecture.md §4.6), data ``RegistrationRejected``.
    case registrationRejected = "kz.registry.registration.rejected.v1"
    /// `kz.registry.address.changed.v1` (docs/architecture.md §4.7), data ``AddressChanged``.
    case addressChanged = "kz.registry.address.changed.v1"
    /// `kz.registry.address.current.v1` (docs/architecture.md §4.8), data ``AddressCurrent``.
    case addressCurrent = "kz.registry.address.current.v1"
    /// `kz.registry.address.occupancy-alert.v1` (docs/architecture.md §4.8), data ``OccupancyAlert``.
    case occupancyAlert = "kz.registry.address.occupancy-alert.v1"
    /// `kz.registry.access.logged.v1` (docs/architecture.md §4.8), data ``AccessLogged``.
    case accessLogged = "kz.registry.access.logged.v1"
    /// `kz.registry.notification.outcome.v1` (docs/architecture.md §4.8), data ``NotificationOutcome``.
    case notificationOutcome = "kz.registry.notification.outcome.v1"
    /// `kz.registry.deadletter.v1` (docs/architecture.md §4.8), data ``DeadLetter``.
    case deadLetter = "kz.registry.deadletter.v1"
    /// `kz.registry.audit.checkpoint.v1`, data ``AuditCheckpoint``.
    case auditCheckpoint = "kz.registry.audit.checkpoint.v1"

    /// Decodes a type string; an unknown one throws with an ``UnknownValueError``.
    public init(from decoder: any Decoder) throws {
        self = try Self.decodeContractValue(from: decoder, field: "type")
    }

    /// The Swift type of the event's `data`.
    public var dataType: any RegistryEventData.Type {
        switch self {
        case .addressUpserted: AddressUpserted.self
        case .addressRetired: AddressRetired.self
        case .registrationSubmitted: RegistrationSubmitted.self
        case .registrationAccepted: RegistrationAccepted.self
        case .registrationRejected: RegistrationRejected.self
        case .addressChanged: AddressChanged.self
        case .addressCurrent: AddressCurrent.self
        case .occupancyAlert: OccupancyAlert.self
        case .accessLogged: AccessLogged.self
        case .notificationOutcome: NotificationOutcome.self
        case .deadLetter: DeadLetter.self
        case .auditCheckpoint: AuditCheckpoint.self
        }
    }

    /// The file name of the `data` object's JSON Schema among the module's resources, e.g.
    /// `kz.registry.registration.submitted.v1.json` (see ``RegistrySchemas``).
    public var schemaResourceName: String { rawValue + ".json" }

    /// The topic that carries events of this type (docs/architecture.md §3).
    public var topic: RegistryTopic {
        switch self {
        case .addressUpserted, .addressRetired: .addressCatalog
        case .registrationSubmitted: .registrationSubmitted
        case .registrationAccepted: .registrationAccepted
        case .registrationRejected: .registrationRejected
        case .addressChanged: .addressChanged
        case .addressCurrent: .addressCurrent
        case .occupancyAlert: .addressAlerts
        case .accessLogged: .accessLogged
        case .notificationOutcome: .notificationOutcome
        case .deadLetter: .deadLetter
        case .auditCheckpoint: .auditCheckpoints
        }
    }
}
