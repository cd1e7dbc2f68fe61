// registryctl lag: how far each service's consumers are behind, per partition.

import ArgumentParser
import Foundation
import Kafka
import RegistrySchema

/// Consumer lag per service, topic and partition, from the offsets each service commits to
/// Kafka after applying a batch (its store holds the authoritative ones; these exist so lag is
/// visible) and each partition's end.
struct LagCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lag",
        abstract: "Show how far each service's consumers are behind, per partition.",
        discussion: """
            Finds each service's consumer groups (REGISTRY_TOPIC_PREFIX + service name, its \
            .catalog group, and any other group named after it, such as each audit instance's \
            .read.<instance> and .log.<instance> groups; not intake's .decisions replica, which \
            reads only what other instances decide) and prints one row per service, topic and partition it reads: \
            the committed offset ("-" if it has committed none yet), the partition's end and the \
            difference. --json prints the same as one JSON document. Exits 0, or 69 when the \
            broker does not answer.
            """)

    /// One service's consumer group on one partition.
    struct Row: Encodable {
        let service: String
        let group: String
        let topic: String
        let partition: Int32
        /// The committed offset, or `nil` before the first commit.
        let committed: Int64?
        let end: Int64
        let lag: Int64
    }

    /// The whole report, as `--json` prints it.
    struct Report: Encodable {
        let partitions: [Row]
        /// Messages behind, per service that has committed offsets.
        let behind: [String: Int64]
        /// Services with no committed offsets yet.
        let withoutOffsets: [String]
    }

    /// The executables that consume (docs/architecture.md §2); each may have a second group for the catalog.
    static let services = ["registration-intake", "address-index", "notification", "audit"]
    static let groupSuffixes = ["", ".catalog"]
    /// Groups whose offsets say nothing about lag: intake's replica of the decisions reads only
    /// the partitions that other instances decide (none with one instance, so its few commits from
    /// start-up stayed behind for ever and `lag` said intake was a million behind).
    static let partialReaders = ["registration-intake.decisions"]

    @OptionGroup var broker: BrokerOptions

    @Flag(help: "Only rows with a lag above zero.")
    var behindOnly = false

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let admin = try KafkaAdmin(configuration: broker.clientConfiguration, logger: broker.logger)
        let names = broker.topicNames
        let registryTopics = Set(RegistryTopic.allCases.map(names.name(for:)))
        let topics = try await broker.answer { try await admin.listTopics() }.filter { registryTopics.contains($0.name) }
        let partitions = topics.flatMap { topic in topic.partitions.map { KafkaTopicPartition(topic: topic.name, partition: $0) } }
        let ends = try await broker.answer { try await admin.watermarks(of: partitions) }
        var rows: [Row] = []
        var totals: [String: Int64] = [:]
        let existingGroups = try await broker.answer { try await admin.listGroups() }
        for service in Self.services {
            let own = Self.groupSuffixes.map { names.prefix + service + $0 }
            let instances = existingGroups.filter { group in
                group.hasPrefix(names.prefix + service + ".") && !own.contains(group) && !Self.partialReaders.contains { names.prefix + $0 == group }
            }
            for group in own + instances {
                let committed = try await broker.answer { try await admin.committedOffsets(group: group, partitions: partitions) }
                // A group reads a topic if it committed on any of its partitions.
                let read = Set(committed.keys.map(\.topic))
                for partition in partitions where read.contains(partition.topic) {
                    guard let end = ends[partition] else { continue }
                    let position = committed[partition]
                    let lag = max(0, end.high - (position ?? end.low))
                    totals[service, default: 0] += lag
                    if behindOnly && lag == 0 { continue }
                    rows.append(Row(service: service, group: group, topic: partition.topic, partition: partition.partition, committed: position, end: end.high, lag: lag))
                }
            }
        }
        let missing = Self.services.filter { totals[$0] == nil }
        if output.json { return try printJSON(Report(partitions: rows, behind: totals, withoutOffsets: missing)) }
        printTable(
            header: ["SERVICE", "GROUP", "TOPIC", "PARTITION", "COMMITTED", "END", "LAG"],
            rows: rows.map { [$0.service, $0.group, $0.topic, String($0.partition), $0.committed.map(String.init) ?? "-", String($0.end), String($0.lag)] })
        print("")
        for service in Self.services where totals[service] != nil { print("\(service): \(totals[service]!) behind") }
        if !missing.isEmpty { print("no committed offsets (not started yet, or nothing consumed) for: \(missing.joined(separator: ", "))") }
    }
}

/// Prints rows under a header, columns padded to their widest cell (numbers right-aligned).
func printTable(header: [String], rows: [[String]]) {
    let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { column, cell in
            let pad = String(repeating: " ", count: widths[column] - cell.count)
            return Int(cell) != nil || cell == "-" ? pad + cell : cell + pad
        }.joined(separator: "  ")
    }
    print(line(header))
    for row in rows { print(line(row)) }
}
