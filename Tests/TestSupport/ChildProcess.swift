// Running the project's executables as real child processes.

import Foundation
import Glibc

/// A running executable from the build folder, with its output captured to a file.
public final class ChildProcess: @unchecked Sendable {
    public let process: Process
    public let outputPath: URL
    /// Where standard error goes when it is kept apart from standard output.
    public let errorPath: URL?

    /// The folder of built executables (`REGISTRY_BIN_DIR`, set by `make test`).
    public static func binDirectory() throws -> URL {
        guard let path = ProcessInfo.processInfo.environment["REGISTRY_BIN_DIR"] else {
            throw TestBroker.Unavailable(description: "REGISTRY_BIN_DIR is not set: run the suite with `make test`, which builds the executables and sets it.")
        }
        return URL(fileURLWithPath: path)
    }

    /// Starts the project's `executable` with `arguments` and the test environment plus `environment`.
    /// - Parameter separateErrors: Keep standard error apart (``errors``) instead of in ``output``.
    public convenience init(_ executable: String, arguments: [String] = [], environment: [String: String] = [:], separateErrors: Bool = false) throws {
        try self.init(
            executableURL: try Self.binDirectory().appendingPathComponent(executable), arguments: arguments, environment: environment,
            separateErrors: separateErrors)
    }

    /// Starts any program with `arguments` and the test environment plus `environment`.
    public init(executableURL: URL, arguments: [String] = [], environment: [String: String] = [:], separateErrors: Bool = false) throws {
        process = Process()
        process.executableURL = executableURL
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("\(executableURL.lastPathComponent)-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: outputPath.path, contents: nil)
        let handle = try FileHandle(forWritingTo: outputPath)
        process.standardOutput = handle
        if separateErrors {
            let errorPath = outputPath.deletingPathExtension().appendingPathExtension("stderr.log")
            _ = FileManager.default.createFile(atPath: errorPath.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: errorPath)
            self.errorPath = errorPath
        } else {
            process.standardError = handle
            errorPath = nil
        }
        try process.run()
    }

    /// Everything the process wrote so far (standard error too, unless kept apart).
    public var output: String { (try? String(contentsOf: outputPath, encoding: .utf8)) ?? "" }

    /// What the process wrote to standard error, when it is kept apart.
    public var errors: String { errorPath.flatMap { try? String(contentsOf: $0, encoding: .utf8) } ?? "" }

    /// Sends a signal.
    public func signal(_ signal: Int32) { Glibc.kill(process.processIdentifier, signal) }

    /// Kills the process at once and waits until it is gone.
    ///
    /// SIGKILL, because children spawned from a test's worker thread inherit its blocked signal
    /// mask (SIGTERM stays pending), and `Process.waitUntilExit()` spins a CPU off the main thread.
    public func kill() async {
        signal(SIGKILL)
        _ = await waitForExit(timeout: .seconds(10))
    }

    /// Waits for the process to exit, up to `timeout`; returns its status, or nil if still running.
    public func waitForExit(timeout: Duration) async -> Int32? {
        do {
            try await waitUntil("process exit", timeout: timeout) { !self.process.isRunning }
        } catch {
            return nil
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: outputPath)
        if let errorPath { try? FileManager.default.removeItem(at: errorPath) }
    }

    /// A free TCP port on 127.0.0.1.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw TestBroker.Unavailable(description: "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
