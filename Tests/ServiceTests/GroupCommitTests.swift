// Group commit: items that wait while a transaction commits share the next one.

import Foundation
import GRDB
import ServiceRuntime
import Synchronization
import Testing

@Suite struct GroupCommitTests {
    struct Refused: Error {}

    let store: ServiceStore

    init() throws {
        store = try ServiceStore(directory: NSTemporaryDirectory() + "group-commit-" + UUID().uuidString, name: "group") { migrator in
            migrator.registerMigration("items") { db in try db.execute(sql: "CREATE TABLE item (value INTEGER NOT NULL)") }
        }
    }

    @Test func everyItemIsCommittedAndGetsItsOwnResult() async throws {
        let transactions = Atomic<Int>(0)
        let commits = GroupCommit<Int, Int>(
            store: store,
            commit: { db, items in
                for item in items { try db.execute(sql: "INSERT INTO item (value) VALUES (?)", arguments: [item]) }
                return items.map { $0 * 10 }
            },
            didCommit: { transactions.add(1, ordering: .relaxed) })
        let results = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for item in 1...200 { group.addTask { (item, try await commits.submit(item)) } }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        #expect(results.count == 200)
        #expect(results.allSatisfy { $0.value == $0.key * 10 })
        let stored = try await store.read { try Int.fetchAll($0, sql: "SELECT value FROM item ORDER BY value") }
        #expect(stored == Array(1...200))
        // 200 tasks at once: those that arrive during a commit share the next transaction.
        #expect(transactions.load(ordering: .relaxed) < 200)
    }

    @Test func aFailedTransactionFailsEveryItemInItAndCommitsNothing() async throws {
        let commits = GroupCommit<Int, Void>(store: store) { db, items in
            for item in items { try db.execute(sql: "INSERT INTO item (value) VALUES (?)", arguments: [item]) }
            if items.contains(13) { throw Refused() }
            return items.map { _ in () }
        }
        await #expect(throws: Refused.self) { try await commits.submit(13) }
        try await commits.submit(14)
        let stored = try await store.read { try Int.fetchAll($0, sql: "SELECT value FROM item") }
        #expect(stored == [14])
    }
}
