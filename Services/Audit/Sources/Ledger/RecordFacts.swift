// What the store indexes of an audit record, beside its canonical bytes.

/// The facts of an audit record that the store keeps in columns and the subject index: where
/// the message was, what it was, who acted and why, whom it concerns. They are read from the
/// record when it is built, and kept beside its canonical bytes until it is appended, so that
/// nothing parses the JSON again.
public struct RecordFacts: Hashable, Sendable {
    public var topic: String
    public var partition: Int
    public var offset: Int64
    public var eventId: String?
    public var type: String?
    public var time: String?
    /// The actor's `sub`, for accesses.
    public var actor: String?
    public var purpose: String?
    /// The IINs and RCAs the record is about.
    public var subjects: [String]

    /// Facts as read off a record or a frame.
    public init(
        topic: String, partition: Int, offset: Int64, eventId: String?, type: String?, time: String?, actor: String?, purpose: String?, subjects: [String]
    ) {
        (self.topic, self.partition, self.offset, self.eventId, self.type, self.time) = (topic, partition, offset, eventId, type, time)
        (self.actor, self.purpose, self.subjects) = (actor, purpose, subjects)
    }

    /// The facts of `record`.
    public init(_ record: AuditRecord) {
        self.init(
            topic: record.topic, partition: record.partition, offset: record.offset, eventId: record.eventId, type: record.type, time: record.time,
            actor: record.actor?.sub, purpose: record.purpose, subjects: record.subjects)
    }
}
