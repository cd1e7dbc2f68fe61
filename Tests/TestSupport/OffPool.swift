// CPU-bound test work on a thread of its own.

import Dispatch

/// Runs `work` on a Dispatch thread instead of Swift's cooperative pool and returns its result.
///
/// The pool has one thread per core (two here), and the tests that run servers in-process or
/// poll for a condition all run on it: a test that computes for seconds on the pool starves them
/// until their timeouts run out. Off the pool, the operating system shares the cores fairly.
public func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: work()) }
    }
}
