// Waiting for a condition instead of sleeping a guessed time.

/// The condition did not hold before the deadline.
public struct TimedOut: Error, CustomStringConvertible {
    public let description: String
}

/// Re-checks `condition` every `interval` until it holds; throws ``TimedOut`` after `timeout`.
public func waitUntil(
    _ what: String, timeout: Duration = .seconds(30), interval: Duration = .milliseconds(50),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: interval)
    }
    throw TimedOut(description: "timed out after \(timeout) waiting for: \(what)")
}

/// Runs `body`, failing with ``TimedOut`` if it takes longer than `timeout`.
public func withTimeout<T: Sendable>(
    _ what: String, _ timeout: Duration, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw TimedOut(description: "timed out after \(timeout): \(what)")
        }
        return value
    }
}
