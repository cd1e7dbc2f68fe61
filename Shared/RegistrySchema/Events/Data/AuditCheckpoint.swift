// kz.registry.audit.checkpoint.v1: a signed head of the audit's transparency log.

/// The `data` of `kz.registry.audit.checkpoint.v1`: the audit published a checkpoint of its
/// Merkle tree log. `note` is the whole signed note (a C2SP checkpoint: origin, size and root
/// hash, a blank line, the Ed25519 signature line); `origin`, `size` and `rootHash` repeat its
/// body for readers that do not parse notes. Witnesses verify the signature and the consistency
/// of each checkpoint with the one before.
public struct AuditCheckpoint: RegistryEventData, Hashable, JSONObjectReadable {
    /// `kz.registry.audit.checkpoint.v1`.
    public static var eventType: EventType { .auditCheckpoint }

    /// The log's name (`AUDIT_LOG_ORIGIN`), the note's first line.
    public var origin: String
    /// The number of records the tree covers.
    public var size: Int
    /// The RFC 9162 tree head, base64.
    public var rootHash: String
    /// The signed note, as served at `GET /v1/audit/checkpoint`.
    public var note: String

    /// Creates a checkpoint event's data.
    public init(origin: String, size: Int, rootHash: String, note: String) {
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
        self.note = note
    }

    /// The log origin (the topic's key).
    public var eventSubject: String? { origin }

    /// Reads the members; every one is required.
    public init<Fields: JSONFieldReading>(fields r: inout Fields) throws(Fields.Failure) {
        note = try r.field("note")
        origin = try r.field("origin")
        rootHash = try r.field("rootHash")
        size = try r.field("size")
    }
}
