// What a service tells the runtime about itself.

/// The facts about one executable that the shared runtime needs: its name and port, its own
/// configuration variables, and a sentence for `--help`.
public struct ServiceDescriptor: Sendable {
    /// The executable's name, e.g. `registration-intake`.
    public let name: String
    /// One line on what the service does.
    public let summary: String
    /// Its HTTP port from docs/architecture.md §2.
    public let defaultPort: Int
    /// Variables only this service reads (besides ``CommonConfiguration``'s).
    public let variables: [ConfigurationVariable]
    /// The CloudEvent `source` of the events it produces, e.g. `/registry/intake` (docs/architecture.md §4).
    public let eventSource: String

    /// Creates a descriptor.
    /// - Parameter eventSource: Defaults to `/registry/<name>`.
    public init(name: String, summary: String, defaultPort: Int, variables: [ConfigurationVariable] = [], eventSource: String? = nil) {
        self.name = name
        self.summary = summary
        self.defaultPort = defaultPort
        self.variables = variables
        self.eventSource = eventSource ?? "/registry/\(name)"
    }

    /// Every variable the service reads: the common ones, then its own.
    public var allVariables: [ConfigurationVariable] {
        CommonConfiguration.variables(service: name, port: defaultPort) + variables
    }

    /// The `--help` text: usage and the table of variables with their defaults.
    public var helpText: String {
        let width = allVariables.map(\.name.count).max() ?? 0
        let rows = allVariables.map { variable in
            let padded = variable.name.padding(toLength: width, withPad: " ", startingAt: 0)
            let defaultText = variable.defaultValue.map { $0.isEmpty ? " (default: empty)" : " (default: \($0))" } ?? ""
            return "  \(padded)  \(variable.summary)\(defaultText)"
        }
        return """
            \(name) — \(summary)

            USAGE: \(name) [--help] [--version] [--openapi]

            --openapi prints the service's OpenAPI 3.1 document (also served at GET /openapi.json).
            --rebuild (services whose store is a projection of their topics) drops the store and replays.

            Configured through the environment (docs/configuration.md):
            \(rows.joined(separator: "\n"))

            Every secret may instead be given as <NAME>_FILE, the path of a file holding it (e.g.
            /run/secrets/…): \(SecretFiles.names(in: allVariables).joined(separator: ", ")).

            SIGTERM or SIGINT stops it gracefully.
            """
    }
}

extension String {
    fileprivate func padding(toLength length: Int, withPad pad: Character, startingAt _: Int) -> String {
        count >= length ? self : self + String(repeating: pad, count: length - count)
    }
}
