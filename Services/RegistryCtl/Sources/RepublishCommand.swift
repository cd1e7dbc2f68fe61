// registryctl republish: put intake's accepted history back on registration.accepted.v1.

import ArgumentParser
import Foundation
import GRDB
import Kafka
import RegistrationIntake
import RegistrySchema

/// Recovery after the broker lost its log (docs/operations.md, broker loss): intake keeps every
/// accepted event as it published it, in order; this sends them again, byte for byte, to
/// `registration.accepted.v1`. The index, rebuilt from that topic (`registryctl replay
/// address-index`), then publishes the agencies' `address.changed` and `address.current` again
/// with the same event ids, so consumers that saw them before drop the repeats.
struct RepublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "republish",
        abstract: "Publish intake's accepted history again (after the broker lost its log).",
        discussion: """
            Reads <data-dir>/registration-intake.sqlite (default data dir: $DATA_DIR, else \\
            ./var/registration-intake) read-only, while intake runs or not, and sends every \\
            accepted event in its original order and bytes. Exits 0; 66 when the store does not \\
            exist; 69 when the broker does not take the events.
            """)

    @OptionGroup var broker: BrokerOptions

    @Option(help: "Intake's DATA_DIR.")
    var dataDir: String?

    func run() async throws {
        let directory = dataDir ?? ProcessInfo.processInfo.environment["DATA_DIR"] ?? "./var/registration-intake"
        let path = (directory as NSString).appendingPathComponent("registration-intake.sqlite")
        guard FileManager.default.fileExists(atPath: path) else {
            FileHandle.standardError.write(Data("registryctl: no intake store at \(path) (give --data-dir)\n".utf8))
            throw ExitCode(66)
        }
        var readOnly = Configuration()
        readOnly.readonly = true
        readOnly.busyMode = .timeout(10)
        let store = try DatabasePool(path: path, configuration: readOnly)
        let total = try await store.read { try IntakeStore($0).acceptedCount() }
        let topic = broker.topicNames.name(for: .registrationAccepted)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: broker.clientConfiguration), logger: broker.logger)
        let header = KafkaHeader(key: CloudEventsContentType.headerName, string: CloudEventsContentType.structuredJSON)
        var sent = 0
        var after: Int64 = 0
        let started = Date()
        print("republishing \(total) accepted events from \(path) to \(topic)")
        while true {
            let from = after
            let rows = try await store.read { try IntakeStore($0).accepted(after: from, limit: 5_000) }
            guard let last = rows.last else { break }
            let messages = rows.map { row in
                KafkaProducerMessage(topic: topic, key: Array(row.iin.utf8), value: Array(row.event), headers: [header])
            }
            do {
                _ = try await producer.send(messages)
            } catch {
                printError("registryctl: the broker at \(broker.clientConfiguration.bootstrapServers) did not take the events after \(sent): \(error)")
                throw ExitStatus.brokerUnreachable
            }
            sent += messages.count
            after = last.position
            print("sent \(sent) of \(total)")
        }
        print("republished \(sent) accepted events to \(topic) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }
}
