// The protocol every `data` object of the contract conforms to.

/// The `data` of one of the registry's CloudEvent types (docs/architecture.md §4.2-4.8).
///
/// A ``CloudEvent`` whose data conforms checks the envelope's `type` against ``eventType``
/// before decoding the data, so a message of another type is an ``EnvelopeError/unsupportedType(found:expected:)``,
/// never a confusing data error.
public protocol RegistryEventData: Codable, Sendable {
    /// The CloudEvent `type` this data travels under.
    static var eventType: EventType { get }

    /// The CloudEvent `subject` for this data: the IIN for person events, the RCA for address
    /// events (docs/architecture.md §4), `nil` when the event is about neither.
    var eventSubject: String? { get }
}
