// registryctl replay SERVICE: rebuild a projection from its topics.

import ArgumentParser
import Foundation

/// Rebuilds a service's store from the topics it projects (address-index: the catalog and the
/// accepted registrations) by running the service with `--rebuild` in the foreground. The service
/// deletes its store, replays, logs progress every 10 s and "caught up" when done, and then
/// serves as usual; Ctrl-C (or SIGTERM) stops it.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Rebuild a service's projection by replaying its topics (runs SERVICE --rebuild).",
        discussion: """
            Only address-index can be rebuilt: intake's decisions, notification's subscriptions \
            and the audit chain are not reproducible from topics (restore those from a backup). \
            Stop the running service first. The environment (DATA_DIR, KAFKA_*, …) is passed on. \
            Exits with the service's status; 64 for a service that cannot be rebuilt; 69 when \
            the service's executable is not found.
            """)

    static let rebuildable = ["address-index"]

    @Argument(help: "The service to rebuild: \(rebuildable.joined(separator: ", ")).")
    var service: String

    func validate() throws {
        guard Self.rebuildable.contains(service) else {
            throw ValidationError("\(service) cannot be rebuilt from topics; only \(Self.rebuildable.joined(separator: ", ")) can (restore the others from a backup)")
        }
    }

    func run() throws {
        // The service's executable is installed beside registryctl.
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let executable = directory.appendingPathComponent(service)
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            FileHandle.standardError.write(Data("registryctl: no \(service) executable beside registryctl (looked at \(executable.path))\n".utf8))
            throw ExitCode(69)
        }
        FileHandle.standardOutput.write(Data("running \(executable.path) --rebuild (Ctrl-C stops it)\n".utf8))
        let arguments = [executable.path, "--rebuild"]
        var pointers = arguments.map { strdup($0) } + [nil]
        execv(executable.path, &pointers)
        FileHandle.standardError.write(Data("registryctl: could not start \(executable.path): \(String(cString: strerror(errno)))\n".utf8))
        throw ExitCode(69)
    }
}
