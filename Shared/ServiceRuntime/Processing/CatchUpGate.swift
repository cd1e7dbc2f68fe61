// Lets one consumer of a service wait until another has read its topics to the end.

import Synchronization

/// Opened once by the engine that reads a reference topic (e.g. intake's catalog) when it has
/// read every assigned partition to its end; awaited by the engine whose decisions depend on it,
/// so at start the backlog of the reference topic is applied before the dependent backlog.
public final class CatchUpGate: Sendable {
    private struct State {
        var open = false
        var openedByTimeout = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())
    /// What it waits for, for logs (e.g. `address.catalog.v1`).
    public let name: String

    /// Creates a closed gate.
    public init(name: String) {
        self.name = name
    }

    /// Whether it is open.
    public var isOpen: Bool { state.withLock { $0.open } }

    /// Opens the gate (idempotent).
    public func open() {
        open(byTimeout: false)
    }

    private func open(byTimeout: Bool) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.open else { return [] }
            state.open = true
            state.openedByTimeout = byTimeout
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the gate is open, or after `timeout` (opening it then: a reference topic that
    /// never reports its end must not stop the service for good).
    /// - Returns: Whether it opened by itself.
    @discardableResult
    public func wait(timeout: Duration) async -> Bool {
        let timer = Task {
            try await Task.sleep(for: timeout)
            self.open(byTimeout: true)
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
        timer.cancel()
        return !state.withLock { $0.openedByTimeout }
    }
}
