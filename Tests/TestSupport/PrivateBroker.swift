// A broker of a test's own, behind a proxy the test can cut.

import Foundation

/// A Tansu broker for one test, reached only through a TCP proxy: stopping the proxy makes the
/// broker unreachable without losing its in-memory log (a restart of Tansu itself would).
public final class PrivateBroker: @unchecked Sendable {
    public let brokerPort: Int
    public let proxyPort: Int
    private var broker: ChildProcess
    private var proxy: ChildProcess?

    /// `host:port` for clients (the proxy).
    public var bootstrapServers: String { "127.0.0.1:\(proxyPort)" }

    /// Starts a broker that advertises the proxy's port, and the proxy.
    public init() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let tansu = environment["REGISTRY_TANSU"], environment["REGISTRY_ROOT"] != nil, environment["REGISTRY_PYTHON"] != nil else {
            throw TestBroker.Unavailable(description: "REGISTRY_TANSU/REGISTRY_ROOT/REGISTRY_PYTHON are not set: run the suite with `make test`.")
        }
        brokerPort = try ChildProcess.freePort()
        proxyPort = try ChildProcess.freePort()
        broker = try ChildProcess(
            executableURL: URL(fileURLWithPath: tansu),
            arguments: ["broker", "--listener-url", "tcp://127.0.0.1:\(brokerPort)", "--advertised-listener-url", "tcp://127.0.0.1:\(proxyPort)"])
        try startProxy()
        let port = brokerPort
        try await waitUntil("the private broker listens", timeout: .seconds(20)) { Self.accepts(port: port) }
    }

    /// Cuts every connection to the broker and refuses new ones.
    public func cut() async {
        await proxy?.kill()
        proxy = nil
    }

    /// Stops the broker and starts a new, empty one on the same port: the in-memory log is lost,
    /// as when a broker without persistent storage restarts.
    public func restartEmpty() async throws {
        await broker.kill()
        broker = try ChildProcess(executableURL: broker.process.executableURL!, arguments: broker.process.arguments ?? [])
        let port = brokerPort
        try await waitUntil("the new, empty broker listens", timeout: .seconds(20)) { Self.accepts(port: port) }
    }

    /// Lets clients reach the broker again.
    public func restore() async throws {
        try startProxy()
        let port = proxyPort
        try await waitUntil("the proxy listens again", timeout: .seconds(20)) { Self.accepts(port: port) }
    }

    private func startProxy() throws {
        let environment = ProcessInfo.processInfo.environment
        proxy = try ChildProcess(
            executableURL: URL(fileURLWithPath: environment["REGISTRY_PYTHON"]!),
            arguments: [environment["REGISTRY_ROOT"]! + "/Tests/Fixtures/tcp_proxy.py", "\(proxyPort)", "\(brokerPort)"])
    }

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    // ChildProcess kills what is still running when it goes away.
}
