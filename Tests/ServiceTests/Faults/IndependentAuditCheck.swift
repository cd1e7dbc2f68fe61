// The audit store checked by a program that shares no code with the registry.

import Audit
import Foundation
import Testing
import TestSupport

/// Runs `scripts/audit_tree_check.py` (Python's hashlib, sqlite3 and cryptography, written from
/// the documented format) on an audit store: the tree recomputed from the records, every
/// checkpoint's root and signed note, the subject index against the records.
enum IndependentAuditCheck {
    /// Exit status and output of the check on `store`.
    static func run(store: String, verifier: NoteVerifierKey) async throws -> (status: Int32?, output: String) {
        let root = try #require(ProcessInfo.processInfo.environment["REGISTRY_ROOT"], "REGISTRY_ROOT is not set: run the tests with `make test`")
        let python = ProcessInfo.processInfo.environment["REGISTRY_PYTHON"] ?? "python3"
        let check = try ChildProcess(
            executableURL: URL(fileURLWithPath: python), arguments: [root + "/scripts/audit_tree_check.py", store, "--verifier", verifier.description])
        return (await check.waitForExit(timeout: .seconds(600)), check.output)
    }
}
