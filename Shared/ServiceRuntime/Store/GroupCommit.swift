// Group commit: many tasks' writes, one transaction while a commit is running.

import GRDB
import Synchronization

/// Commits what many tasks hand in, each task returning only once its item is committed.
///
/// The first task to find no commit running starts one; tasks that arrive while it runs wait
/// for the next, which takes all of them in one transaction. Under load one SQLite commit (and
/// one wake of the relay after it) serves many items; alone, an item is committed at once.
/// Items of one transaction succeed or fail together: when `commit` throws, every task of that
/// transaction gets the error.
public final class GroupCommit<Item: Sendable, Result: Sendable>: Sendable {
    /// Writes a transaction's items, returning one result per item in their order.
    public typealias Commit = @Sendable (_ db: Database, _ items: [Item]) throws -> [Result]

    private struct Waiting {
        let item: Item
        let continuation: CheckedContinuation<Result, any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var committing = false
    }

    private let store: ServiceStore
    private let commit: Commit
    private let didCommit: @Sendable () -> Void
    private let state = Mutex(State())

    /// - Parameters:
    ///   - store: Where the transactions run.
    ///   - commit: Writes one transaction's items.
    ///   - didCommit: Runs after each committed transaction (counters, waking the relay).
    public init(store: ServiceStore, commit: @escaping Commit, didCommit: @escaping @Sendable () -> Void = {}) {
        self.store = store
        self.commit = commit
        self.didCommit = didCommit
    }

    /// Commits `item` with whatever else is waiting, and returns its result once committed.
    /// - Throws: What the transaction threw.
    public func submit(_ item: Item) async throws -> Result {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
            let leads = state.withLock { state -> Bool in
                state.waiting.append(Waiting(item: item, continuation: continuation))
                guard !state.committing else { return false }
                state.committing = true
                return true
            }
            if leads { Task { await self.commitWhileWaiting() } }
        }
    }

    /// Commits batches until nothing waits.
    private func commitWhileWaiting() async {
        while true {
            let batch = state.withLock { state -> [Waiting] in
                let batch = state.waiting
                state.waiting = []
                if batch.isEmpty { state.committing = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            let items = batch.map(\.item)
            do {
                let results = try await store.write { db in try self.commit(db, items) }
                precondition(results.count == batch.count, "a group commit returns one result per item")
                didCommit()
                for (waiting, result) in zip(batch, results) { waiting.continuation.resume(returning: result) }
            } catch {
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }
}
