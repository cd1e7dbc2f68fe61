// How a person's audit trail query behaves as the audit log grows (issue: store growth).
//
// Fills a real audit store (the service's own migrations) with synthetic records, about ten per
// person, chained with SHA-256 as the service does, and at each size times the trail query of
// GET /v1/audit/subjects/{iin} for 2,000 random people. Prints a Markdown section.
// Usage: AuditGrowthBench [records (default 1000000)] [directory]

import Audit
import Crypto
import Foundation
import GRDB
import ServiceRuntime

let target = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 1_000_000 : 1_000_000
let directory = CommandLine.arguments.count > 2 ? CommandLine.arguments[2] : NSTemporaryDirectory() + "audit-growth-" + UUID().uuidString
let people = max(target / 10, 1)
let store = try ServiceStore(directory: directory, name: "audit", migrations: AuditService.migrations)
var generator = SplitMix64(seed: 7)
let sizes = [1_000_000, 10_000_000, 50_000_000, 100_000_000].filter { $0 < target } + [target]

func subject(_ n: Int) -> String { String(format: "%012d", n) }

/// A record about the size of an access event.
func record(_ position: Int, person: Int) -> Data {
    Data(#"{"action":"registration.read","actor":{"org":"School No. 5","role":"agency","sub":"123456789012"},"eventId":"e\#(position)","offset":\#(position),"partition":0,"purpose":"school enrolment","subjects":["\#(subject(person))"],"time":"2026-11-25T10:00:00Z","topic":"access.logged.v1","type":"kz.registry.access.logged.v1"}"#.utf8)
}

var rows: [(size: Int, seconds: Double, p50: Double, p99: Double, trail: Double, bytes: Int64)] = []
var written = 0
var previous = AuditLedger.genesis
let started = Date()
for size in sizes {
    let fillStart = Date()
    while written < size {
        let chunk = min(200_000, size - written)
        let first = written + 1
        let persons = (0..<chunk).map { _ in Int.random(in: 0..<people, using: &generator) }
        var hashes: [Data] = []
        hashes.reserveCapacity(chunk)
        for i in 0..<chunk {
            var hasher = SHA256()
            hasher.update(data: previous)
            hasher.update(data: record(first + i, person: persons[i]))
            previous = Data(hasher.finalize())
            hashes.append(previous)
        }
        try store.pool.write { db in
            let insert = try db.makeStatement(sql: """
                INSERT INTO audit_record (position, topic, partition, offset, event_id, type, time, actor, purpose, record, hash)
                VALUES (?, 'access.logged.v1', 0, ?, ?, 'kz.registry.access.logged.v1', '2026-11-25T10:00:00Z', '123456789012', 'school enrolment', ?, ?)
                """)
            let subjectRow = try db.makeStatement(sql: "INSERT OR IGNORE INTO audit_subject (subject, position) VALUES (?, ?)")
            for i in 0..<chunk {
                let position = first + i
                try insert.execute(arguments: [position, position, "e\(position)", record(position, person: persons[i]), hashes[i]])
                try subjectRow.execute(arguments: [subject(persons[i]), position])
            }
        }
        written += chunk
        if written % 5_000_000 == 0 { FileHandle.standardError.write(Data("filled \(written) of \(target) records (\(Int(Date().timeIntervalSince(started))) s)\n".utf8)) }
    }
    let fillSeconds = Date().timeIntervalSince(fillStart)
    // Cold-ish and warm: 2,000 random people, the route's own query.
    var latencies: [Double] = []
    var found = 0
    try store.pool.read { db in
        let statement = try db.makeStatement(sql: """
            SELECT r.position, r.record FROM audit_subject s JOIN audit_record r ON r.position = s.position
            WHERE s.subject = ? AND (? IS NULL OR r.time >= ?) AND (? IS NULL OR r.time < ?) ORDER BY s.position
            """)
        var g = SplitMix64(seed: UInt64(size))
        for _ in 0..<2_000 {
            let who = subject(Int.random(in: 0..<people, using: &g))
            let t0 = DispatchTime.now().uptimeNanoseconds
            let rows = try Row.fetchAll(statement, arguments: [who, nil, nil, nil, nil] as StatementArguments)
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            found += rows.count
        }
    }
    latencies.sort()
    let bytes = (try? FileManager.default.attributesOfItem(atPath: store.path)[.size] as? Int64) ?? 0
    rows.append((size, fillSeconds, latencies[latencies.count / 2], latencies[latencies.count * 99 / 100], Double(found) / 2_000, bytes ?? 0))
}

print("## Audit store growth (AuditGrowthBench)")
print()
print("A real audit store (the service's migrations) filled with \(target) synthetic access records about \(people) people, each")
print("chained with SHA-256; at each size the trail query of `GET /v1/audit/subjects/{iin}` runs for 2,000 random people.")
print("The subject index makes a trail a B-tree seek plus one row fetch per record, so its cost grows with the tree's")
print("depth (logarithmically) and the trail's length, not with the log's size. The population is fixed at one tenth")
print("of the final size, so trails are shorter at the smaller sizes (see \"records per trail\"); the smallest size is")
print("the baseline of the same query on a small store.")
print()
print("| records | fill seconds | trail p50 ms | trail p99 ms | records per trail | store size GB |")
print("|---:|---:|---:|---:|---:|---:|")
for row in rows {
    print(String(format: "| %d | %.0f | %.3f | %.3f | %.1f | %.2f |", row.size, row.seconds, row.p50, row.p99, row.trail, Double(row.bytes) / 1e9))
}
try? FileManager.default.removeItem(atPath: directory)
