// The audit log as it grows: what appending costs (the tree against the hash chain it replaced,
// in the same run), and how a person's trail and the tree's proofs behave at large sizes.
//
// 1. CPU per record: 200,000 access events appended as the audit's processor appends them
//    (decode, canonical JSON, insert, subject index; 500 a batch), in rounds of 20,000 that
//    alternate between the Merkle tree (AuditLedger) and the hash chain it replaced (its schema
//    and statements, kept here for this comparison), each in its own store.
// 2. Growth: the tree's store filled to the target (default 1,000,000 records) the same way;
//    at each size, 2,000 trail queries (GET /v1/audit/subjects/{iin}), 2,000 inclusion proofs
//    and 2,000 consistency proofs against the whole tree, timed.
// Prints a Markdown section; writes the figures as one JSON object to the third argument.
// Usage: AuditGrowthBench [records (default 1000000)] [directory] [json file]

import Audit
import Crypto
import Foundation
import GRDB
import Kafka
import RegistrySchema
import ServiceRuntime

let arguments = CommandLine.arguments
let target = arguments.count > 1 ? Int(arguments[1]) ?? 1_000_000 : 1_000_000
let directory = arguments.count > 2 ? arguments[2] : NSTemporaryDirectory() + "audit-growth-" + UUID().uuidString
let jsonPath = arguments.count > 3 ? arguments[3] : nil
try? FileManager.default.removeItem(atPath: directory)
let people = max(target / 10, 1)
let batchSize = 500
let encoder = RegistryEventEncoder()
let decoder = RegistryEventDecoder()
var generator = SplitMix64(seed: 7)

func subject(_ n: Int) -> String { String(format: "%012d", n) }

/// A batch of access events as the audit consumes them, each about one random person.
@MainActor func batch(from first: Int, count: Int) throws -> [KafkaConsumerMessage] {
    try (first..<first + count).map { n in
        let person = subject(Int.random(in: 0..<people, using: &generator))
        let value = try encoder.encodeBytes(CloudEvent(
            id: "e\(n)", source: "/registry/address-index", time: Timestamp(.now), data: AccessLogged(
                service: "address-index", actor: AccessActor(sub: "123456789012", role: "agency", org: "School No. 5"), purpose: "school enrolment",
                action: "registration.read", subjects: [person], method: "GET", path: "/v1/persons/\(person)/registration", status: 200, at: Timestamp(.now))))
        return KafkaConsumerMessage(
            topicPartition: KafkaTopicPartition(topic: "access.logged.v1", partition: Int32(n % 12)), offset: Int64(n), key: Array("123456789012".utf8),
            value: value, headers: [], timestampMilliseconds: nil)
    }
}

func processCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

let signer = try CheckpointSigner(key: Curve25519.Signing.PrivateKey(), origin: "bench/audit", everyRecords: 1_000, topic: "audit.checkpoints.v1")
let tree = try ServiceStore(directory: directory + "/tree", name: "audit", migrations: AuditService.migrations)

/// Appends as the audit's processor does: records built on every core, then the tree, then a
/// checkpoint when one is due, in one transaction.
func appendToTree(_ messages: [KafkaConsumerMessage]) throws {
    let records = try CanonicalRecord.records(of: messages, decoder: decoder)
    try tree.pool.write { db in
        var frontier = try StoredTree(db).frontier()
        try AuditLedger(db).append(records, to: &frontier)
        try signer.checkpointIfDue(db, frontier: frontier, force: false) { try Outbox.append($0, in: db) }
    }
}

/// The hash chain this repository used before the tree: its table and its append, exactly.
struct ChainLedger {
    let queue: DatabaseQueue
    var head = Data(repeating: 0, count: 32)
    var count = 0

    init(path: String) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA cache_size = -16384")
        }
        queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE audit_record (
                    position INTEGER PRIMARY KEY, topic TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
                    event_id TEXT, type TEXT, time TEXT, actor TEXT, purpose TEXT, record BLOB NOT NULL, hash BLOB NOT NULL,
                    UNIQUE (topic, partition, offset));
                CREATE TABLE audit_subject (subject TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (subject, position)) WITHOUT ROWID;
                CREATE INDEX audit_record_by_actor ON audit_record (actor, position);
                CREATE INDEX audit_record_by_type ON audit_record (type, position);
                """)
        }
    }

    mutating func append(_ messages: [KafkaConsumerMessage]) throws {
        let records = try CanonicalRecord.records(of: messages, decoder: decoder)
        var (head, count) = (self.head, self.count)
        try queue.write { db in
            let insert = try db.cachedStatement(sql: """
                INSERT INTO audit_record (position, topic, partition, offset, event_id, type, time, actor, purpose, record, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (topic, partition, offset) DO NOTHING
                """)
            let subjectRow = try db.cachedStatement(sql: "INSERT OR IGNORE INTO audit_subject (subject, position) VALUES (?, ?)")
            for canonical in records {
                var hasher = SHA256()
                hasher.update(data: head)
                hasher.update(data: canonical.bytes)
                let hash = Data(hasher.finalize())
                let record = canonical.record
                try insert.execute(arguments: [
                    count + 1, record.topic, record.partition, record.offset, record.eventId, record.type, record.time, record.actor?.sub, record.purpose,
                    canonical.bytes, hash,
                ])
                guard db.changesCount == 1 else { continue }
                count += 1
                head = hash
                for value in record.subjects { try subjectRow.execute(arguments: [value, count]) }
            }
        }
        (self.head, self.count) = (head, count)
    }
}

// 1. CPU per record, tree against chain, interleaved.
var chain = try ChainLedger(path: directory + "/chain.sqlite")
let compared = min(200_000, target)
let round = 20_000
var treeCPU: [Double] = []
var chainCPU: [Double] = []
var written = 0
while written < compared {
    let count = min(round, compared - written)
    let messages = try batch(from: written, count: count)
    for side in (written / round) % 2 == 0 ? ["tree", "chain"] : ["chain", "tree"] {
        let before = processCPUSeconds()
        for start in stride(from: 0, to: count, by: batchSize) {
            let part = Array(messages[start..<min(start + batchSize, count)])
            if side == "tree" { try appendToTree(part) } else { try chain.append(part) }
        }
        let perRecord = (processCPUSeconds() - before) * 1e6 / Double(count)
        if side == "tree" { treeCPU.append(perRecord) } else { chainCPU.append(perRecord) }
    }
    written += count
}
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
let (treeUs, chainUs) = (median(treeCPU), median(chainCPU))

// 2. Growth: trails and proofs at each size.
let sizes = [1_000_000, 10_000_000, 50_000_000, 100_000_000].filter { $0 < target } + [target]
struct SizeRow {
    var size = 0, fillSeconds = 0.0, trail = [Double](), inclusion = [Double](), consistency = [Double](), perTrail = 0.0, bytes: Int64 = 0
}
var rows: [SizeRow] = []
let started = Date()
func percentile(_ values: [Double], _ p: Int) -> Double { values.sorted()[min(values.count - 1, values.count * p / 100)] }
func milliseconds(_ work: () async throws -> Void) async rethrows -> Double {
    let t0 = DispatchTime.now().uptimeNanoseconds
    try await work()
    return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
}
for size in sizes {
    let fillStart = Date()
    while written < size {
        try appendToTree(try batch(from: written, count: min(batchSize, size - written)))
        written = min(written + batchSize, size)
        if written % 5_000_000 == 0 { FileHandle.standardError.write(Data("filled \(written) of \(target) records (\(Int(Date().timeIntervalSince(started))) s)\n".utf8)) }
    }
    var row = SizeRow(size: size, fillSeconds: Date().timeIntervalSince(fillStart))
    let audit = AuditStore(tree)
    var found = 0
    var g = SplitMix64(seed: UInt64(size))
    for _ in 0..<2_000 {
        let who = subject(Int.random(in: 0..<people, using: &g))
        row.trail.append(try await milliseconds { found += try await audit.trail(subject: who, from: nil, to: nil, after: nil, limit: 100).count })
    }
    for _ in 0..<2_000 {
        let index = Int.random(in: 0..<size, using: &g)
        row.inclusion.append(try await milliseconds { _ = try await audit.inclusionProof(index: index, size: size) })
        let from = Int.random(in: 1..<size, using: &g)
        row.consistency.append(try await milliseconds { _ = try await audit.consistencyProof(from: from, to: size) })
    }
    row.perTrail = Double(found) / 2_000
    row.bytes = (try? FileManager.default.attributesOfItem(atPath: tree.path)[.size] as? Int64) ?? 0
    rows.append(row)
}
let largest = rows.last!

print("## Audit log (AuditGrowthBench)")
print()
print("""
    **Appending.** \(compared) access events appended as the audit's processor appends them (decode, canonical JSON,
    insert, subject index; \(batchSize) a batch, one transaction each), in rounds of \(round) alternating between the
    Merkle tree and the SHA-256 hash chain it replaced (that schema and those statements, kept in the benchmark for this
    comparison), each in its own store. Process CPU per record, median of \(treeCPU.count) rounds each:

    | log | CPU µs per record | rounds (µs per record) |
    |---|---:|---|
    | Merkle tree (leaf and node hashes, a stored subtree every 16 records, checkpoints every 1,000) | \(String(format: "%.1f", treeUs)) | \(treeCPU.map { String(format: "%.1f", $0) }.joined(separator: ", ")) |
    | hash chain (before) | \(String(format: "%.1f", chainUs)) | \(chainCPU.map { String(format: "%.1f", $0) }.joined(separator: ", ")) |
    | tree ÷ chain | \(String(format: "%.2f", treeUs / chainUs)) | target ≤ 1.0 (the tree must not cost more per record than the chain) |

    **Growth.** The tree's store filled to \(target) records about \(people) people; at each size 2,000 trail queries of
    `GET /v1/audit/subjects/{iin}` (first page) for random people, and 2,000 inclusion proofs (random leaf) and consistency
    proofs (random older size) against the whole tree, through the store as the routes call it. A trail is a B-tree seek
    plus one row per record; a proof reads a few dozen stored subtree hashes, so both grow with the tree's depth, not
    with the log's size.

    | records | fill seconds | trail p50 ms | trail p99 ms | records per trail | inclusion p50 / p99 ms | consistency p50 / p99 ms | store GB |
    |---:|---:|---:|---:|---:|---:|---:|---:|
    """)
for row in rows {
    print(String(
        format: "| %d | %.0f | %.3f | %.3f | %.1f | %.3f / %.3f | %.3f / %.3f | %.2f |", row.size, row.fillSeconds, percentile(row.trail, 50), percentile(row.trail, 99),
        row.perTrail, percentile(row.inclusion, 50), percentile(row.inclusion, 99), percentile(row.consistency, 50), percentile(row.consistency, 99),
        Double(row.bytes) / 1e9))
}
if let jsonPath {
    let figures: [String: Any] = [
        "audit_cpu_us_per_record_tree": (treeUs * 10).rounded() / 10, "audit_cpu_us_per_record_chain": (chainUs * 10).rounded() / 10,
        "audit_tree_over_chain_cpu": (treeUs / chainUs * 100).rounded() / 100, "audit_proof_records": largest.size,
        "audit_inclusion_p50_ms": percentile(largest.inclusion, 50), "audit_inclusion_p99_ms": percentile(largest.inclusion, 99),
        "audit_consistency_p50_ms": percentile(largest.consistency, 50), "audit_consistency_p99_ms": percentile(largest.consistency, 99),
        "audit_trail_p99_ms": percentile(largest.trail, 99),
    ]
    try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys]).write(to: URL(fileURLWithPath: jsonPath))
}
try? FileManager.default.removeItem(atPath: directory)
