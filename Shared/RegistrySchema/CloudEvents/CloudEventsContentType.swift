// The content types of CloudEvents in structured JSON mode.

/// Media types and the Kafka header that mark a message as a structured-mode CloudEvent (docs/architecture.md §4).
public enum CloudEventsContentType {
    /// The Kafka header (and HTTP header) name: `content-type`.
    public static let headerName = "content-type"
    /// The structured-mode media type every message, webhook and submission body carries:
    /// `application/cloudevents+json`.
    public static let structuredJSON = "application/cloudevents+json"
    /// The `datacontenttype` of the registry's events: `application/json`.
    public static let dataJSON = "application/json"
    /// The one CloudEvents `specversion` the registry reads and writes: `1.0`.
    public static let specVersion = "1.0"
}
