// registryctl seed: publish the demo catalog and submission stream.

import ArgumentParser
import Foundation
import Kafka
import RegistrySchema
import ServiceRuntime

/// Publishes deterministic demo data: a catalog to `address.catalog.v1`, then submissions to
/// `registration.submitted.v1` (docs/architecture.md §3), waiting for the broker to acknowledge each batch.
struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Publish a deterministic demo catalog and stream of submissions.",
        discussion: """
            The same --seed gives the same addresses, people and submission ids, so running it twice \
            publishes duplicates that intake acknowledges without deciding again. The catalog goes \
            first: intake decides against the catalog as it has read it.
            """)

    @OptionGroup var broker: BrokerOptions

    @Option(help: "Dwellings in the catalog.")
    var addresses = 1_000

    @Option(help: "People; each gets a first permanent registration, some move, stay elsewhere or deregister.")
    var people = 200

    @Option(help: "Fixes the data.")
    var seed: UInt64 = 1

    func validate() throws {
        guard addresses > 0, people >= 0 else { throw ValidationError("--addresses must be positive and --people not negative") }
        guard addresses <= 10_000_000_000, people <= 10_000_000 else { throw ValidationError("--addresses and --people are too large for the demo") }
    }

    func run() async throws {
        let data = DemoData(addressCount: addresses, peopleCount: people, seed: seed, now: Timestamp(.now))
        let names = broker.topicNames
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: broker.clientConfiguration), logger: broker.logger)
        let catalog = names.name(for: .addressCatalog)
        let submitted = names.name(for: .registrationSubmitted)
        try await Self.publish(try Self.catalogMessages(data.addresses, seed: seed, topic: catalog), what: "addresses", to: catalog, producer: producer)
        try await Self.publish(
            try data.submissions.map { try .event($0, topic: submitted, key: $0.data.person.iin.rawValue) },
            what: "submissions", to: submitted, producer: producer)
        print("submissions: \(data.mix)")
        _ = await producer.flush(timeout: .seconds(30))
    }

    /// The catalog's `address.upserted` messages; the same seed gives the same ids, so publishing
    /// again replaces rather than adds.
    static func catalogMessages(_ addresses: [AddressUpserted], seed: UInt64, topic: String) throws -> [KafkaProducerMessage] {
        try addresses.map { address in
            try .event(CloudEvent(id: "seed-\(seed)-\(address.rca)", source: "/demo/register", time: Timestamp(.now), data: address), topic: topic, key: address.rca.rawValue)
        }
    }

    /// Publishes `messages` in acknowledged chunks of 5,000, printing progress; a failed chunk
    /// ends the command (69 when the broker timed out).
    static func publish(_ messages: [KafkaProducerMessage], what: String, to topic: String, producer: KafkaProducer) async throws {
        let chunk = 5_000
        var sent = 0
        for start in stride(from: 0, to: messages.count, by: chunk) {
            let results = await producer.deliver(Array(messages[start..<min(start + chunk, messages.count)]))
            if let failure = results.lazy.compactMap({ result -> KafkaError? in if case .failure(let error) = result { return error }; return nil }).first {
                printError("registryctl seed: publishing \(what) to \(topic) failed after \(sent): \(failure)")
                throw failure.kind == .timedOut ? ExitStatus.brokerUnreachable : ExitCode.failure
            }
            sent += results.count
            if messages.count > chunk { print("\(what): \(sent) of \(messages.count) published") }
        }
        print("published \(sent) \(what) to \(topic)")
    }
}
