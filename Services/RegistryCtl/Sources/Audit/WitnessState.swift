// What an audit witness remembers between runs.

import Foundation

/// The witness's memory, in its own file (never in the audit's folder): the key it pinned, the
/// last checkpoint it verified, the roots of recent ones (to recognise a re-sent checkpoint) and
/// where it is in `audit.checkpoints.v1`.
struct WitnessState: Codable, Equatable {
    /// The pinned note verifier key.
    var verifier: String?
    /// The last verified checkpoint.
    var size: Int?
    /// Its root, base64.
    var root: String?
    /// Its whole note.
    var note: String?
    /// Roots of recently verified checkpoints by size (at most ``recentLimit``).
    var recent: [String: String] = [:]
    /// The next offset to read per partition of `audit.checkpoints.v1`.
    var offsets: [String: Int64] = [:]

    static let recentLimit = 1_000

    /// The state in `path`, or an empty one if there is no such file.
    static func load(_ path: String) throws -> WitnessState {
        guard let data = FileManager.default.contents(atPath: path) else { return WitnessState() }
        do {
            return try JSONDecoder().decode(WitnessState.self, from: data)
        } catch {
            throw WitnessError.unreadableState(path, "\(error)")
        }
    }

    /// Writes the state to `path` atomically (a crash leaves the old or the new file, never half).
    func save(_ path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Records `size` and `root` as verified.
    mutating func verified(size: Int, root: Data, note: String) {
        self.size = size
        self.root = root.base64EncodedString()
        self.note = note
        recent[String(size)] = root.base64EncodedString()
        if recent.count > Self.recentLimit, let oldest = recent.keys.compactMap(Int.init).min() { recent[String(oldest)] = nil }
    }

    /// The default file: `$XDG_STATE_HOME/registryctl/audit-witness.json` (or `~/.local/state/…`).
    static var defaultPath: String {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".local/state")
        return (base as NSString).appendingPathComponent("registryctl/audit-witness.json")
    }
}

/// Why the witness stopped.
enum WitnessError: Error, CustomStringConvertible {
    case unreadableState(String, String)
    case stateInAuditFolder(String)

    var description: String {
        switch self {
        case .unreadableState(let path, let why): "the witness state \(path) cannot be read: \(why)"
        case .stateInAuditFolder(let path):
            "the witness state \(path) lies in the audit's own folder (beside audit.sqlite): whoever can rewrite the log could rewrite the witness's memory too"
        }
    }
}
