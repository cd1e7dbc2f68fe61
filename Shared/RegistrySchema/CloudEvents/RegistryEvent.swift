// RegistryEvent: any registry CloudEvent, decoded in one pass by its `type`.

/// A CloudEvent of any of the registry's types, with its typed data: for consumers of several
/// event types (audit, `registryctl tail`) that route by type without parsing a message twice.
public enum RegistryEvent: Sendable, Hashable {
    /// `kz.registry.address.upserted.v1`.
    case addressUpserted(CloudEvent<AddressUpserted>)
    /// `kz.registry.address.retired.v1`.
    case addressRetired(CloudEvent<AddressRetired>)
    /// `kz.registry.registration.submitted.v1`.
    case registrationSubmitted(CloudEvent<RegistrationSubmitted>)
    /// `kz.registry.registration.accepted.v1`.
    case registrationAccepted(CloudEvent<RegistrationAccepted>)
    /// `kz.registry.registration.rejected.v1`.
    case registrationRejected(CloudEvent<RegistrationRejected>)
    /// `kz.registry.address.changed.v1`.
    case addressChanged(CloudEvent<AddressChanged>)
    /// `kz.registry.address.current.v1`.
    case addressCurrent(CloudEvent<AddressCurrent>)
    /// `kz.registry.address.occupancy-alert.v1`.
    case occupancyAlert(CloudEvent<OccupancyAlert>)
    /// `kz.registry.access.logged.v1`.
    case accessLogged(CloudEvent<AccessLogged>)
    /// `kz.registry.notification.outcome.v1`.
    case notificationOutcome(CloudEvent<NotificationOutcome>)
    /// `kz.registry.deadletter.v1`.
    case deadLetter(CloudEvent<DeadLetter>)
    /// `kz.registry.audit.checkpoint.v1`.
    case auditCheckpoint(CloudEvent<AuditCheckpoint>)

    /// The event type.
    public var eventType: EventType {
        switch self {
        case .addressUpserted: .addressUpserted
        case .addressRetired: .addressRetired
        case .registrationSubmitted: .registrationSubmitted
        case .registrationAccepted: .registrationAccepted
        case .registrationRejected: .registrationRejected
        case .addressChanged: .addressChanged
        case .addressCurrent: .addressCurrent
        case .occupancyAlert: .occupancyAlert
        case .accessLogged: .accessLogged
        case .notificationOutcome: .notificationOutcome
        case .deadLetter: .deadLetter
        case .auditCheckpoint: .auditCheckpoint
        }
    }

    /// The envelope without data.
    public var attributes: CloudEventAttributes {
        switch self {
        case .addressUpserted(let event): event.attributes
        case .addressRetired(let event): event.attributes
        case .registrationSubmitted(let event): event.attributes
        case .registrationAccepted(let event): event.attributes
        case .registrationRejected(let event): event.attributes
        case .addressChanged(let event): event.attributes
        case .addressCurrent(let event): event.attributes
        case .occupancyAlert(let event): event.attributes
        case .accessLogged(let event): event.attributes
        case .notificationOutcome(let event): event.attributes
        case .deadLetter(let event): event.attributes
        case .auditCheckpoint(let event): event.attributes
        }
    }

    /// The typed data.
    public var data: any RegistryEventData {
        switch self {
        case .addressUpserted(let event): event.data
        case .addressRetired(let event): event.data
        case .registrationSubmitted(let event): event.data
        case .registrationAccepted(let event): event.data
        case .registrationRejected(let event): event.data
        case .addressChanged(let event): event.data
        case .addressCurrent(let event): event.data
        case .occupancyAlert(let event): event.data
        case .accessLogged(let event): event.data
        case .notificationOutcome(let event): event.data
        case .deadLetter(let event): event.data
        case .auditCheckpoint(let event): event.data
        }
    }
}

extension RegistryEvent: Codable {
    /// Reads `type` and decodes the matching ``CloudEvent``.
    /// - Throws: `DecodingError` for structural problems; ``EnvelopeError`` for an unsupported
    ///   `specversion` or a `type` the registry does not know.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CloudEventAttributes.CodingKeys.self)
        let attributes = try CloudEventAttributes(from: container)
        guard attributes.isSupportedSpecVersion else {
            throw EnvelopeError.unsupportedSpecVersion(found: attributes.specVersion)
        }
        guard let eventType = attributes.eventType else {
            throw EnvelopeError.unsupportedType(found: attributes.type, expected: EventType.allCases.map(\.rawValue))
        }
        switch eventType {
        case .addressUpserted: self = .addressUpserted(try CloudEvent(attributes: attributes, dataFrom: container))
        case .addressRetired: self = .addressRetired(try CloudEvent(attributes: attributes, dataFrom: container))
        case .registrationSubmitted: self = .registrationSubmitted(try CloudEvent(attributes: attributes, dataFrom: container))
        case .registrationAccepted: self = .registrationAccepted(try CloudEvent(attributes: attributes, dataFrom: container))
        case .registrationRejected: self = .registrationRejected(try CloudEvent(attributes: attributes, dataFrom: container))
        case .addressChanged: self = .addressChanged(try CloudEvent(attributes: attributes, dataFrom: container))
        case .addressCurrent: self = .addressCurrent(try CloudEvent(attributes: attributes, dataFrom: container))
        case .occupancyAlert: self = .occupancyAlert(try CloudEvent(attributes: attributes, dataFrom: container))
        case .accessLogged: self = .accessLogged(try CloudEvent(attributes: attributes, dataFrom: container))
        case .notificationOutcome: self = .notificationOutcome(try CloudEvent(attributes: attributes, dataFrom: container))
        case .deadLetter: self = .deadLetter(try CloudEvent(attributes: attributes, dataFrom: container))
        case .auditCheckpoint: self = .auditCheckpoint(try CloudEvent(attributes: attributes, dataFrom: container))
        }
    }

    /// Encodes the wrapped ``CloudEvent``.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .addressUpserted(let event): try event.encode(to: encoder)
        case .addressRetired(let event): try event.encode(to: encoder)
        case .registrationSubmitted(let event): try event.encode(to: encoder)
        case .registrationAccepted(let event): try event.encode(to: encoder)
        case .registrationRejected(let event): try event.encode(to: encoder)
        case .addressChanged(let event): try event.encode(to: encoder)
        case .addressCurrent(let event): try event.encode(to: encoder)
        case .occupancyAlert(let event): try event.encode(to: encoder)
        case .accessLogged(let event): try event.encode(to: encoder)
        case .notificationOutcome(let event): try event.encode(to: encoder)
        case .deadLetter(let event): try event.encode(to: encoder)
        case .auditCheckpoint(let event): try event.encode(to: encoder)
        }
    }
}

extension RegistryEvent: JSONReadable {
    /// Reads the event as `init(from:)` does, for the types read on the services' hot paths
    /// (submissions, decisions, changes, current addresses, accesses); any other type is a miss
    /// (Foundation decodes it).
    public init(json reader: inout JSONReader) throws(JSONReader.Miss) {
        let (attributes, skipped) = try CloudEventAttributes.readEnvelope(&reader)
        func data<D: JSONReadable>(_ type: D.Type) throws(JSONReader.Miss) -> D {
            try reader.read(skipped) { (r: inout JSONReader) throws(JSONReader.Miss) in try D(json: &r) }
        }
        switch attributes.eventType {
        case .registrationSubmitted?: self = .registrationSubmitted(CloudEvent(attributes: attributes, data: try data(RegistrationSubmitted.self)))
        case .registrationAccepted?: self = .registrationAccepted(CloudEvent(attributes: attributes, data: try data(RegistrationAccepted.self)))
        case .registrationRejected?: self = .registrationRejected(CloudEvent(attributes: attributes, data: try data(RegistrationRejected.self)))
        case .addressChanged?: self = .addressChanged(CloudEvent(attributes: attributes, data: try data(AddressChanged.self)))
        case .addressCurrent?: self = .addressCurrent(CloudEvent(attributes: attributes, data: try data(AddressCurrent.self)))
        case .accessLogged?: self = .accessLogged(CloudEvent(attributes: attributes, data: try data(AccessLogged.self)))
        default: throw JSONReader.Miss()
        }
    }
}
