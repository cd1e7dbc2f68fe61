// The transactional outbox: rows written with a state change, sent later by the relay.

import Foundation
import GRDB
import Kafka
import RegistrySchema

/// A message waiting in the outbox.
public struct OutboxMessage: Sendable {
    /// The row id; the relay sends in id order.
    public let id: Int64
    /// The message to produce.
    public let message: KafkaProducerMessage
    /// When the row was written.
    public let createdAt: Date
    /// The partition of the consumed message that caused it, if it is one that only the
    /// partition's owner publishes (see ``PartitionOwnership``).
    public var ownerPartition: Int32? = nil
    /// The offset of that message (`nil` for rows an owned partition caused without one, such as
    /// the index's clock-driven announcements).
    public var sourceOffset: Int64? = nil
}

/// Writes and reads outbox rows. Writes happen inside the caller's transaction.
public enum Outbox {
    /// Appends a message to the outbox in the current transaction.
    /// - Parameters:
    ///   - ownerPartition: The partition whose owner alone publishes it (see ``PartitionOwnership``).
    ///   - sourceOffset: The offset of the message in that partition that caused it.
    public static func append(_ message: KafkaProducerMessage, ownerPartition: Int32? = nil, sourceOffset: Int64? = nil, in db: Database, now: Date = Date()) throws {
        let headers = try StoredHeader.encode(message.headers)
        try db.cachedStatement(sql: """
            INSERT INTO outbox (topic, key, value, headers, created_at, owner_partition, source_offset, target_partition) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(
            arguments: [
                message.topic, message.key.map { Data($0) }, message.value.map { Data($0) }, headers, now.timeIntervalSince1970, ownerPartition, sourceOffset,
                message.partition,
            ])
    }

    /// The oldest `limit` rows, in id order.
    public static func oldest(_ limit: Int, in db: Database) throws -> [OutboxMessage] {
        try rows(db.cachedStatement(sql: "SELECT \(columns) FROM outbox ORDER BY id LIMIT ?"), arguments: [limit])
    }

    /// The oldest `limit` rows that this instance publishes: its own, and those of the `owned`
    /// partitions (rows of other partitions wait for their owner, or are dropped).
    public static func oldest(_ limit: Int, owned: Set<Int32>, in db: Database) throws -> [OutboxMessage] {
        let list = owned.sorted().map(String.init).joined(separator: ",")
        return try rows(
            db.cachedStatement(sql: "SELECT \(columns) FROM outbox WHERE owner_partition IS NULL OR owner_partition IN (\(list)) ORDER BY id LIMIT ?"),
            arguments: [limit])
    }

    /// Every row caused by a consumed message of a partition (for a service that takes back
    /// what it decided but never published, ``PartitionStateKeeper``).
    public static func owned(in db: Database) throws -> [OutboxMessage] {
        try rows(db.cachedStatement(sql: "SELECT \(columns) FROM outbox WHERE owner_partition IS NOT NULL ORDER BY id"), arguments: [])
    }

    private static let columns = "id, topic, key, value, headers, created_at, owner_partition, source_offset, target_partition"

    private static func rows(_ statement: Statement, arguments: StatementArguments) throws -> [OutboxMessage] {
        try Row.fetchAll(statement, arguments: arguments).map { row in
            let headers = try StoredHeader.decode(row["headers"])
            let key: Data? = row["key"]
            let value: Data? = row["value"]
            return OutboxMessage(
                id: row["id"],
                message: KafkaProducerMessage(
                    topic: row["topic"], partition: row["target_partition"], key: key.map { [UInt8]($0) }, value: value.map { [UInt8]($0) }, headers: headers),
                createdAt: Date(timeIntervalSince1970: row["created_at"]), ownerPartition: row["owner_partition"], sourceOffset: row["source_offset"])
        }
    }

    /// Where a partition's owner has published to: every message of the partition before the
    /// returned offset either caused no row or caused rows that are no longer waiting. `nil` when
    /// nothing is known yet.
    /// - Parameters:
    ///   - appliedTopic: The topic whose stored consumer offset says what has been applied.
    public static func publishedPosition(of partition: Int32, appliedTopic: String, in db: Database) throws -> Int64? {
        let waiting = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT MIN(source_offset) FROM outbox WHERE owner_partition = ? AND source_offset IS NOT NULL"),
            arguments: [partition])
        let applied = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT next_offset FROM consumer_offset WHERE topic = ? AND partition = ?"), arguments: [appliedTopic, partition])
        switch (waiting, applied) {
        case (let w?, let a?): return min(w, a)
        case (let w?, nil): return w
        case (nil, let a): return a
        }
    }

    /// Drops rows of `partition` that its owner has published already (source offset below
    /// `publishedBefore`), and those without a source offset older than `unpositionedBefore`.
    /// - Returns: How many rows went.
    @discardableResult
    public static func dropPublished(of partition: Int32, publishedBefore: Int64, unpositionedBefore: Date, in db: Database) throws -> Int {
        try db.cachedStatement(sql: """
            DELETE FROM outbox WHERE owner_partition = ? AND ((source_offset IS NOT NULL AND source_offset < ?) OR (source_offset IS NULL AND created_at < ?))
            """).execute(arguments: [partition, publishedBefore, unpositionedBefore.timeIntervalSince1970])
        return db.changesCount
    }

    /// Deletes delivered rows (`ids` ascending, as ``oldest(_:in:)`` returns them).
    public static func delete(ids: [Int64], in db: Database) throws {
        guard let first = ids.first, let last = ids.last else { return }
        // Usually every row of a batch was delivered: one range, one prepared statement, instead
        // of a statement with thousands of placeholders compiled for each batch.
        if last - first + 1 == Int64(ids.count) {
            try db.cachedStatement(sql: "DELETE FROM outbox WHERE id BETWEEN ? AND ?").execute(arguments: [first, last])
            return
        }
        try db.execute(sql: "DELETE FROM outbox WHERE id IN (\(databaseQuestionMarks(count: ids.count)))", arguments: StatementArguments(ids))
    }

    /// The number of rows and the age in seconds of the oldest.
    public static func depth(in db: Database, now: Date = Date()) throws -> (count: Int, oldestAge: Double) {
        let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox"))!
        let oldest: Double? = row["oldest"]
        return (row["n"], oldest.map { max(0, now.timeIntervalSince1970 - $0) } ?? 0)
    }
}

/// A header as stored in the outbox (JSON, value base64).
private struct StoredHeader: Codable {
    let key: String
    let value: Data?
    init(_ header: KafkaHeader) {
        key = header.key
        value = header.value.map { Data($0) }
    }
    var header: KafkaHeader { KafkaHeader(key: key, value: value.map { [UInt8]($0) }) }

    // Nearly every row carries the same one header (the CloudEvents content type): its JSON is
    // made once, not per row.
    private static let encoder = JSONEncoder()
    private static let decoder = JSONDecoder()
    private static let contentTypeOnly = [KafkaHeader(key: CloudEventsContentType.headerName, string: CloudEventsContentType.structuredJSON)]
    private static let contentTypeOnlyJSON = try! encoder.encode(contentTypeOnly.map(StoredHeader.init))

    /// The headers column of a row (`nil` for none).
    static func encode(_ headers: [KafkaHeader]) throws -> Data? {
        if headers.isEmpty { return nil }
        if headers == contentTypeOnly { return contentTypeOnlyJSON }
        return try encoder.encode(headers.map(StoredHeader.init))
    }

    /// The headers of a row's column.
    static func decode(_ column: Data?) throws -> [KafkaHeader] {
        guard let column else { return [] }
        if column == contentTypeOnlyJSON { return contentTypeOnly }
        return try decoder.decode([StoredHeader].self, from: column).map(\.header)
    }
}
