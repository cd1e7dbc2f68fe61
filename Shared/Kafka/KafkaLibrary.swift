// The loaded librdkafka and its minimum version (docs/architecture.md §8).

import CRdKafka

/// Facts about the librdkafka library loaded at run time.
public enum KafkaLibrary {
    /// The oldest librdkafka that can talk to current brokers: 2.0.x mis-parses tagged fields in
    /// ApiVersions responses (fixed in 2.2.0, librdkafka PR 4278).
    public static let minimumVersion: Int32 = 0x0202_0000

    /// The loaded library's version number (`0xMMmmrrpp`).
    public static var versionNumber: Int32 { rd_kafka_version() }

    /// The loaded library's version string, e.g. `2.16.1`.
    public static var version: String { String(cString: rd_kafka_version_str()) }

    /// Throws ``KafkaError/Kind-swift.enum/libraryTooOld`` with instructions when the loaded
    /// librdkafka is older than 2.2.
    public static func requireSupportedVersion() throws {
        guard versionNumber >= minimumVersion else {
            throw KafkaError(
                kind: .libraryTooOld,
                message: """
                    librdkafka \(version) is loaded, but 2.2 or newer is required (2.0.x cannot parse \
                    current brokers' ApiVersions answers; docs/architecture.md §8). Run through `make run` / \
                    `make test`, which put the project's librdkafka 2.16 on LD_LIBRARY_PATH, or run \
                    `eval "$(scripts/dev-env.sh)"` first; in containers use a base image with librdkafka ≥ 2.2 \
                    (Ubuntu 24.04 ships 2.3).
                    """)
        }
    }
}
