// One documented environment variable.

/// An environment variable a service reads, documented once: `--help` prints this table and
/// the reader uses it, so the two cannot drift apart.
public struct ConfigurationVariable: Sendable, Hashable {
    /// The variable's name, e.g. `HTTP_PORT`.
    public let name: String
    /// The default, as the user would write it; `nil` when there is none.
    public let defaultValue: String?
    /// What it sets, in a sentence.
    public let summary: String
    /// Whether its value must never be printed or logged.
    public let isSecret: Bool

    /// Creates a variable description.
    public init(_ name: String, default defaultValue: String?, _ summary: String, secret: Bool = false) {
        self.name = name
        self.defaultValue = defaultValue
        self.summary = summary
        self.isSecret = secret
    }

    /// The swift-configuration key whose environment encoding is ``name``.
    var configKey: String {
        name.lowercased().split(separator: "_").joined(separator: ".")
    }
}
