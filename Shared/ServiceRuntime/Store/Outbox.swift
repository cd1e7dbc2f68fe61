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
}

/// Writes and reads outbox rows. Writes happen inside the caller's transaction.
public enum Outbox {
    /// Appends a message to the outbox in the current transaction.
    public static func append(_ message: KafkaProducerMessage, in db: Database, now: Date = Date()) throws {
        let headers = try StoredHeader.encode(message.headers)
        try db.cachedStatement(sql: "INSERT INTO outbox (topic, key, value, headers, created_at) VALUES (?, ?, ?, ?, ?)").execute(
            arguments: [message.topic, message.key.map { Data($0) }, message.value.map { Data($0) }, headers, now.timeIntervalSince1970])
    }

    /// The oldest `limit` rows, in id order.
    public static func oldest(_ limit: Int, in db: Database) throws -> [OutboxMessage] {
        let statement = try db.cachedStatement(sql: "SELECT id, topic, key, value, headers, created_at FROM outbox ORDER BY id LIMIT ?")
        return try Row.fetchAll(statement, arguments: [limit]).map { row in
            let headers = try StoredHeader.decode(row["headers"])
            let key: Data? = row["key"]
            let value: Data? = row["value"]
            return OutboxMessage(
                id: row["id"],
                message: KafkaProducerMessage(topic: row["topic"], key: key.map { [UInt8]($0) }, value: value.map { [UInt8]($0) }, headers: headers),
                createdAt: Date(timeIntervalSince1970: row["created_at"]))
        }
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
