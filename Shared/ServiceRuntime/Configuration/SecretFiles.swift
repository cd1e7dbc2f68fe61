// Secrets read from files: every secret variable NAME may be given as NAME_FILE instead.

import Foundation

/// Resolves `<NAME>_FILE` variables: for every secret variable (and librdkafka's secret
/// properties among the `KAFKA_*` pass-through), a path in `<NAME>_FILE` stands for the file's
/// contents as `<NAME>`, the way container platforms mount secrets (`/run/secrets/…`). One
/// trailing line break is dropped, since editors and `echo` add one.
public enum SecretFiles {
    /// librdkafka's secret properties, as `KAFKA_*` variables (the pass-through has no list of
    /// its own, and some real properties end in `.file`, so only these get a `_FILE` form).
    public static let kafkaSecrets = [
        "KAFKA_SASL_PASSWORD", "KAFKA_SSL_KEY_PASSWORD", "KAFKA_SSL_KEYSTORE_PASSWORD", "KAFKA_SSL_KEY_PEM",
        "KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET",
    ]

    /// The names that may also be given as `<NAME>_FILE`: the secret variables among `variables`
    /// (except those that are file paths already) and ``kafkaSecrets``.
    public static func names(in variables: [ConfigurationVariable]) -> [String] {
        variables.filter { $0.isSecret && !$0.name.hasSuffix("_FILE") }.map(\.name) + kafkaSecrets
    }

    /// The environment with each `<NAME>_FILE` replaced by `<NAME>` holding the file's contents.
    /// - Throws: ``ConfigurationError`` naming the `_FILE` variable when both forms are set or
    ///   the file cannot be read.
    public static func resolve(_ environment: [String: String], secrets variables: [ConfigurationVariable]) throws -> [String: String] {
        var resolved = environment
        for name in names(in: variables) {
            let fileVariable = name + "_FILE"
            guard let path = environment[fileVariable], !path.isEmpty else { continue }
            if let direct = environment[name], !direct.isEmpty {
                throw ConfigurationError(variable: fileVariable, problem: "set either \(name) or \(fileVariable), not both")
            }
            guard let data = FileManager.default.contents(atPath: path), var value = String(data: data, encoding: .utf8) else {
                throw ConfigurationError(variable: fileVariable, problem: "cannot read \(path)")
            }
            // "\r\n" is one Character in Swift, so one removeLast drops either ending.
            if value.hasSuffix("\n") || value.hasSuffix("\r\n") { value.removeLast() }
            guard !value.isEmpty else { throw ConfigurationError(variable: fileVariable, problem: "\(path) is empty") }
            resolved[name] = value
            resolved[fileVariable] = nil
        }
        return resolved
    }
}
