// Reading and writing the offsets a service keeps in its own store.

import GRDB
import Kafka

/// The next offset to read of each partition, as stored with the state it produced.
public enum ConsumerOffsets {
    /// The stored next offsets of `partitions`; partitions never read start at the beginning.
    public static func startOffsets(for partitions: [KafkaTopicPartition], in db: Database) throws -> [KafkaTopicPartition: KafkaStartOffset] {
        var result: [KafkaTopicPartition: KafkaStartOffset] = [:]
        for partition in partitions {
            result[partition] = try next(of: partition, in: db).map(KafkaStartOffset.offset) ?? .beginning
        }
        return result
    }

    /// The stored next offset of `partition`, or `nil` when none was read.
    public static func next(of partition: KafkaTopicPartition, in db: Database) throws -> Int64? {
        try Int64.fetchOne(
            db, sql: "SELECT next_offset FROM consumer_offset WHERE topic = ? AND partition = ?", arguments: [partition.topic, partition.partition])
    }

    /// Makes `partitions` start where a handover says (``PartitionHandover``): at `committed`, or
    /// at the beginning for those without a committed offset.
    public static func reset(_ partitions: [KafkaTopicPartition], to committed: [KafkaTopicPartition: Int64], in db: Database) throws {
        for partition in partitions {
            if let next = committed[partition] {
                try store([partition: next - 1], in: db)
            } else {
                try db.execute(sql: "DELETE FROM consumer_offset WHERE topic = ? AND partition = ?", arguments: [partition.topic, partition.partition])
            }
        }
    }

    /// Records that every message up to and including `offset` of each partition was applied.
    public static func store(_ lastApplied: [KafkaTopicPartition: Int64], in db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO consumer_offset (topic, partition, next_offset) VALUES (?, ?, ?)
            ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset
            """)
        for (partition, offset) in lastApplied {
            try statement.execute(arguments: [partition.topic, partition.partition, offset + 1])
        }
    }

    /// Moves the stored next offsets forward to just after `lastApplied` (never back): for a
    /// consumer whose input was applied elsewhere first (the audit's log, applied by every
    /// instance, says how far each audited partition was sequenced).
    public static func advance(_ lastApplied: [KafkaTopicPartition: Int64], in db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO consumer_offset (topic, partition, next_offset) VALUES (?, ?, ?)
            ON CONFLICT (topic, partition) DO UPDATE SET next_offset = MAX(next_offset, excluded.next_offset)
            """)
        for (partition, offset) in lastApplied {
            try statement.execute(arguments: [partition.topic, partition.partition, offset + 1])
        }
    }
}
