// registryctl audit: check the audit's transparency log.

import ArgumentParser

/// Audit operations: verify the log, witness its checkpoints.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check the audit's transparency log.", subcommands: [AuditVerifyCommand.self, AuditWitnessCommand.self])
}
