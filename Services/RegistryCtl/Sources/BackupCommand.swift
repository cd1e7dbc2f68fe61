// registryctl backup SERVICE DEST: an online copy of a service's store.

import ArgumentParser
import Foundation
import GRDB
import ServiceRuntime

/// Copies a service's SQLite store with SQLite's online backup API while the service runs: the
/// copy is one consistent snapshot (a read transaction), taken in steps with progress, checked
/// with `PRAGMA integrity_check` afterwards.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy a service's store (online, consistent) to a file.",
        discussion: """
            Reads <data-dir>/<SERVICE>.sqlite (default data dir: $DATA_DIR, else ./var/<SERVICE>) \
            and writes DEST, which must not exist. Restore: stop the service, put DEST in its \
            DATA_DIR as <SERVICE>.sqlite (remove any -wal and -shm files there), start it. \
            Exits 0; 66 when the store does not exist; 73 when DEST exists or cannot be written; \
            1 when the copy fails its integrity check.
            """)

    static let services = ["registration-intake", "address-index", "notification", "audit"]

    @Argument(help: "The service: \(services.joined(separator: ", ")).")
    var service: String

    @Argument(help: "The backup file to create.")
    var destination: String

    @Option(help: "The service's DATA_DIR.")
    var dataDir: String?

    func validate() throws {
        guard Self.services.contains(service) else { throw ValidationError("unknown service '\(service)'; one of \(Self.services.joined(separator: ", "))") }
    }

    func run() throws {
        let directory = dataDir ?? ProcessInfo.processInfo.environment["DATA_DIR"] ?? "./var/\(service)"
        let source = (directory as NSString).appendingPathComponent("\(service).sqlite")
        guard FileManager.default.fileExists(atPath: source) else {
            FileHandle.standardError.write(Data("registryctl: no store at \(source) (give --data-dir)\n".utf8))
            throw ExitCode(66)
        }
        guard !FileManager.default.fileExists(atPath: destination) else {
            FileHandle.standardError.write(Data("registryctl: \(destination) exists; choose a new file\n".utf8))
            throw ExitCode(73)
        }
        var readOnly = Configuration()
        readOnly.readonly = true
        readOnly.busyMode = .timeout(10)
        let started = Date()
        let target: DatabaseQueue
        do {
            target = try DatabaseQueue(path: destination)
        } catch {
            FileHandle.standardError.write(Data("registryctl: cannot write \(destination): \(error)\n".utf8))
            throw ExitCode(73)
        }
        var lastShown = -1
        try DatabasePool(path: source, configuration: readOnly).backup(to: target, pagesPerStep: 4096) { progress in
            let percent = progress.totalPageCount == 0 ? 100 : progress.completedPageCount * 100 / progress.totalPageCount
            if percent / 10 != lastShown / 10 || progress.isCompleted {
                lastShown = percent
                print("copied \(progress.completedPageCount) of \(progress.totalPageCount) pages (\(percent) %)")
            }
        }
        let check = try target.read(ServiceStore.integrityCheck)
        try target.close()
        let bytes = (try? FileManager.default.attributesOfItem(atPath: destination)[.size] as? Int) ?? 0
        let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
        guard check == "ok" else {
            printError("registryctl: the copy failed its integrity check: \(check)")
            throw ExitCode.failure
        }
        print("backed up \(source) to \(destination): \(bytes / 1024) KiB in \(seconds) s, integrity ok")
    }
}
