// Typed, validated reads of documented environment variables.

import Configuration

/// Reads documented variables from the environment through swift-configuration, validating
/// each value and naming the variable in every error.
public struct EnvironmentReader: Sendable {
    private let reader: ConfigReader
    /// The raw environment (for pass-through families such as `KAFKA_*`).
    public let environment: [String: String]

    /// Creates a reader over an environment (the process's, or a test's).
    public init(environment: [String: String], secrets: [ConfigurationVariable]) {
        self.environment = environment
        let secretNames = Set(secrets.filter(\.isSecret).map(\.name))
        self.reader = ConfigReader(
            provider: EnvironmentVariablesProvider(
                environmentVariables: environment,
                secretsSpecifier: .dynamic { name, _ in secretNames.contains(name) }))
    }

    /// The variable's value, or its default; `nil` when it has neither.
    public func string(_ variable: ConfigurationVariable) -> String? {
        let value = reader.string(forKey: ConfigKey(variable.configKey), isSecret: variable.isSecret)
        if let value, !value.isEmpty { return value }
        return variable.defaultValue
    }

    /// The variable as an integer within `range`.
    /// - Throws: ``ConfigurationError`` naming the variable when the value is not an integer in range.
    public func int(_ variable: ConfigurationVariable, in range: ClosedRange<Int>) throws -> Int {
        guard let text = string(variable) else {
            throw ConfigurationError(variable: variable.name, problem: "is required")
        }
        guard let value = Int(text.trimmingCharacters(in: " ")), range.contains(value) else {
            throw ConfigurationError(variable: variable.name, problem: "'\(text)' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// The variable as one of `choices`.
    /// - Throws: ``ConfigurationError`` listing the accepted values.
    public func choice(_ variable: ConfigurationVariable, from choices: [String]) throws -> String {
        guard let text = string(variable)?.lowercased(), choices.contains(text) else {
            throw ConfigurationError(variable: variable.name, problem: "'\(string(variable) ?? "")' is not one of \(choices.joined(separator: ", "))")
        }
        return text
    }
}

extension String {
    fileprivate func trimmingCharacters(in character: Character) -> Substring {
        var slice = self[...]
        while slice.first == character { slice = slice.dropFirst() }
        while slice.last == character { slice = slice.dropLast() }
        return slice
    }
}
