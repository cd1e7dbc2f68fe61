// How registryctl writes: results on standard output (text, or JSON with --json), errors on
// standard error.

import ArgumentParser
import Foundation
import RegistrySchema

/// Writes `text` and a newline to standard error: errors and warnings, never results, so that
/// a script reading standard output (or `--json`) gets only what it asked for.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Prints `value` as one JSON document (sorted keys, slashes unescaped) on standard output.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// The `--json` flag of the listing commands.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print the result as JSON on standard output (errors stay on standard error).")
    var json = false
}
