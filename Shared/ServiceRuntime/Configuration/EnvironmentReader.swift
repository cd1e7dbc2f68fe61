// Typed, validated reads of documented environment variables.

import Configuration
import Foundation

/// Reads documented variables from the environment through swift-configuration, validating
/// each value and naming the variable in every error.
///
/// Every secret may also be given as `<NAME>_FILE`: the path of a file holding it (a Docker or
/// Kubernetes secret), so it never has to sit in the environment itself.
public struct EnvironmentReader: Sendable {
    private let reader: ConfigReader
    /// The raw environment (for pass-through families such as `KAFKA_*`), with secrets read from
    /// their `<NAME>_FILE` files.
    public let environment: [String: String]
    /// A `<NAME>_FILE` that could not be used, reported by ``checkSecretFiles()``.
    private let secretFileProblem: ConfigurationError?

    /// Creates a reader over an environment (the process's, or a test's).
    /// - Parameter secrets: The variables documented for the program; those marked secret are
    ///   kept out of logs and may come from `<NAME>_FILE`.
    public init(environment: [String: String], secrets: [ConfigurationVariable]) {
        var environment = environment
        var problem: ConfigurationError?
        for variable in secrets where variable.isSecret && !variable.name.hasSuffix("_FILE") {
            let fileVariable = variable.name + "_FILE"
            guard let path = environment[fileVariable], !path.isEmpty else { continue }
            if let direct = environment[variable.name], !direct.isEmpty {
                problem = problem ?? ConfigurationError(variable: fileVariable, problem: "set either \(variable.name) or \(fileVariable), not both")
                continue
            }
            guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
                problem = problem ?? ConfigurationError(variable: fileVariable, problem: "cannot read \(path)")
                continue
            }
            // A file written by `echo` or an editor ends in a newline that is not part of the secret.
            var secret = Substring(contents)
            while let last = secret.last, last == "\n" || last == "\r" { secret = secret.dropLast() }
            environment[variable.name] = String(secret)
        }
        self.environment = environment
        self.secretFileProblem = problem
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

    /// Throws when a secret's `<NAME>_FILE` could not be read (or was set beside `<NAME>`).
    public func checkSecretFiles() throws {
        if let secretFileProblem { throw secretFileProblem }
    }

    /// The variable as a duration such as `500ms`, `5s`, `2m`, `1h` or `3d`, greater than zero.
    /// - Throws: ``ConfigurationError`` naming the variable.
    public func duration(_ variable: ConfigurationVariable) throws -> Duration {
        guard let text = string(variable), let value = Self.duration(text), value > .zero else {
            throw ConfigurationError(variable: variable.name, problem: "'\(string(variable) ?? "")' is not a duration such as 500ms, 5s, 2m, 1h or 3d")
        }
        return value
    }

    /// Reads a duration such as `250ms`, `5s`, `2m`, `1h` or `3d`.
    public static func duration(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: " ")
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        for (suffix, seconds) in units where trimmed.hasSuffix(suffix) {
            guard let amount = Double(trimmed.dropLast(suffix.count)), amount >= 0, amount.isFinite else { return nil }
            return .milliseconds(Int64((amount * seconds * 1000).rounded()))
        }
        return nil
    }

    /// A whole number of seconds written as a duration variable would be: `7d`, `24h`, `90m`, `45s`.
    public static func describe(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        for (unit, size) in [("d", Int64(86_400)), ("h", 3600), ("m", 60)] where seconds != 0 && seconds % size == 0 {
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }

    /// The variable as a boolean: `true` or `false` (any case).
    /// - Throws: ``ConfigurationError`` saying what is accepted.
    public func bool(_ variable: ConfigurationVariable) throws -> Bool {
        try choice(variable, from: ["true", "false"]) == "true"
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
