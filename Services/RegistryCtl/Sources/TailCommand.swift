// registryctl tail TOPIC: a topic's messages as readable, decoded CloudEvents.

import ArgumentParser
import Foundation
import Kafka
import RegistrySchema
import ServiceRuntime

/// Prints a topic from its beginning: one header line per message (partition, offset, key,
/// time, type, id) and the event's `data`, indented. IINs are masked (`860101****26`) unless
/// `--reveal`. Without `--follow` it stops at the end of every partition.
struct TailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Print a topic's messages as decoded CloudEvents.",
        discussion: """
            TOPIC is a name of docs/architecture.md §3 (e.g. address.changed.v1; REGISTRY_TOPIC_PREFIX is added) \
            or any topic's full name. Messages that do not decode are shown with the decoder's \
            error. Exits 0; 69 when the broker does not answer; 66 when the topic does not exist.
            """)

    @OptionGroup var broker: BrokerOptions

    @Argument(help: "The topic.")
    var topic: String

    @Flag(name: .shortAndLong, help: "Keep waiting for new messages (Ctrl-C stops).")
    var follow = false

    @Option(name: .shortAndLong, help: "Stop after this many messages.")
    var limit: Int?

    @Flag(help: "One line of raw JSON per message (for jq).")
    var raw = false

    @Flag(help: "Show whole IINs instead of masking them.")
    var reveal = false

    func run() async throws {
        let name = RegistryTopic(rawValue: topic).map(broker.topicNames.name(for:)) ?? topic
        let admin = try KafkaAdmin(configuration: broker.clientConfiguration, logger: broker.logger)
        let metadata: [KafkaTopicMetadata]
        do {
            metadata = try await admin.listTopics()
        } catch let error as KafkaError {
            printError("registryctl: the broker at \(broker.clientConfiguration.bootstrapServers) did not answer: \(error)")
            throw ExitStatus.brokerUnreachable
        }
        guard let partitions = metadata.first(where: { $0.name == name })?.partitions else {
            FileHandle.standardError.write(Data("registryctl: no topic \(name) (registryctl topics list shows them)\n".utf8))
            throw ExitCode(66)
        }
        var configuration = KafkaConsumerConfiguration(client: broker.clientConfiguration, groupID: "registryctl-tail-\(UUID().uuidString.prefix(8))")
        configuration.autoOffsetReset = "earliest"
        let consumer = try KafkaConsumer(configuration: configuration, logger: broker.logger)
        try consumer.subscribe(to: [name])
        var atEnd = Set<Int32>()
        var printed = 0
        let decoder = RegistryEventDecoder()
        reading: for await batch in consumer.batches {
            for message in batch.messages {
                print(raw ? rawLine(message) : describe(message, decoder: decoder))
                printed += 1
                atEnd.remove(message.partition)
                if let limit, printed >= limit { break reading }
            }
            for end in batch.reachedEnd where end.topic == name { atEnd.insert(end.partition) }
            if !follow && atEnd.count == partitions.count { break }
        }
        await consumer.close()
        if !raw { FileHandle.standardError.write(Data("— \(printed) message(s) from \(name) (\(partitions.count) partitions)\n".utf8)) }
    }

    func rawLine(_ message: KafkaConsumerMessage) -> String {
        mask(message.structuredValue.map { String(decoding: $0, as: UTF8.self) } ?? "null")
    }

    func describe(_ message: KafkaConsumerMessage, decoder: RegistryEventDecoder) -> String {
        let key = mask(message.keyString ?? "-")
        let place = "p\(message.partition)@\(message.offset)"
        guard let value = message.structuredValue else { return "\(place)  key=\(key)  tombstone (the key's value is deleted)" }
        let attributes: CloudEventAttributes
        do {
            _ = try decoder.decodeEvent(from: value)
            attributes = try decoder.decodeAttributes(from: value)
        } catch {
            return "\(place)  key=\(key)  UNDECODABLE: \(error)\n    \(mask(String(decoding: value.prefix(300), as: UTF8.self)))"
        }
        let trace = attributes.trace.map { "  traceparent=\($0.traceparent)" } ?? ""
        var lines = ["\(place)  key=\(key)  \(attributes.time.map { "\($0)" } ?? "-")  \(attributes.type)  id=\(attributes.id)  source=\(attributes.source)\(trace)"]
        if let object = try? JSONSerialization.jsonObject(with: Data(value)) as? [String: Any], let data = object["data"],
            let pretty = try? JSONSerialization.data(withJSONObject: data, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        {
            lines += mask(String(decoding: pretty, as: UTF8.self)).split(separator: "\n").map { "    " + $0 }
        }
        return lines.joined(separator: "\n")
    }

    /// Masks every valid IIN in `text` unless `--reveal`.
    func mask(_ text: String) -> String {
        guard !reveal else { return text }
        return text.replacing(/\b\d{12}\b/) { match in
            IIN(rawValue: String(match.output)).map { $0.masked } ?? String(match.output)
        }
    }
}
