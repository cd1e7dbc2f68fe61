// registryctl schema: the published JSON Schemas of the contract.

import ArgumentParser
import Foundation
import RegistrySchema

/// Prints the JSON Schema (draft 2020-12) of an event's `data`, or of the envelope, exactly as
/// shipped in the schema module; without an argument, lists what there is.
struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema of an event type's data, or of the CloudEvents envelope.",
        discussion: """
            Examples:
              registryctl schema                                          lists the schemas
              registryctl schema kz.registry.registration.submitted.v1    the data of a submission
              registryctl schema registration.submitted.v1                the same (prefix optional)
              registryctl schema cloudevent                               the envelope
            """)

    @Argument(help: "An event type (e.g. kz.registry.registration.submitted.v1) or 'cloudevent'.")
    var type: String?

    @OptionGroup var output: OutputOptions

    func run() throws {
        guard let type else {
            if output.json { return try printJSON([RegistrySchemas.envelopeName] + RegistrySchemas.allTypeNames) }
            print(RegistrySchemas.envelopeName + "  (the CloudEvents envelope)")
            for name in RegistrySchemas.allTypeNames { print(name) }
            return
        }
        let candidates = [type, "kz.registry." + type]
        guard let schema = candidates.lazy.compactMap(RegistrySchemas.schema(for:)).first else {
            let known = ([RegistrySchemas.envelopeName] + RegistrySchemas.allTypeNames).joined(separator: "\n  ")
            throw ValidationError("no schema for '\(type)'. Known:\n  \(known)")
        }
        FileHandle.standardOutput.write(schema)
        if schema.last != UInt8(ascii: "\n") { print() }
    }
}
