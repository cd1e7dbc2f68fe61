// Topic names with REGISTRY_TOPIC_PREFIX applied.

/// Topic names with `REGISTRY_TOPIC_PREFIX` applied: the one place the prefix is added.
public struct TopicNames: Sendable, Hashable {
    /// The environment variable the prefix is read from: `REGISTRY_TOPIC_PREFIX` (docs/architecture.md §7).
    public static let prefixVariable = "REGISTRY_TOPIC_PREFIX"

    /// The prefix, possibly empty.
    public let prefix: String

    /// Creates names with a prefix.
    /// - Parameter prefix: the value of `REGISTRY_TOPIC_PREFIX` (default empty).
    public init(prefix: String = "") {
        self.prefix = prefix
    }

    /// The full name of a topic, e.g. `test1.address.catalog.v1` for prefix `test1.`.
    public func name(for topic: RegistryTopic) -> String {
        prefix + topic.baseName
    }

    /// The topic a full name refers to, if any.
    public func topic(named name: String) -> RegistryTopic? {
        guard name.hasPrefix(prefix) else { return nil }
        return RegistryTopic(rawValue: String(name.dropFirst(prefix.count)))
    }
}
