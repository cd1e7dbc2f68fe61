// registryctl load: the benchmark's load generator.

import ArgumentParser
import Foundation
import Kafka
import RegistrySchema
import ServiceRuntime

/// Publishes a catalog and a stream of submissions (70 % first registrations, 15 % moves, 8 %
/// temporary stays, 5 % deregistrations, 2 % invalid) as fast as the broker takes them or at a
/// fixed rate; can wait for the pipeline to work them off (end-to-end throughput), sample how
/// long a registration takes to become visible through address-index, or measure the raw
/// produce-and-consume baseline of the same broker and the registry's topology without the services.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Publish a benchmark load of submissions and measure the pipeline.",
        discussion: """
            Examples:
              registryctl load --count 1000000 --wait --json          end-to-end throughput
              registryctl load --no-catalog --count 150000 --rate 5000 --first-person 2000000 \\
                --visibility http://127.0.0.1:8082                       latency to GET …/registration
              registryctl load --raw-baseline --count 1000000 --json   librdkafka produce + consume, one hop
              registryctl load --raw-pipeline --count 1000000 --json   the registry's topology, forwarding consumers only
            After publishing the catalog it waits until the services have read it (they must be running). \
            Person numbers fix IINs: give a later run a --first-person past the earlier runs' people. \
            Timing starts once the producer has its id from the broker (about half a second after start), \
            so the tool's own start is not counted; a sample's clock starts as its message is handed over. \
            Exits 0, 1 when the pipeline stalls or a publish fails, 69 when the broker does not answer.
            """)

    @OptionGroup var broker: BrokerOptions

    @Option(help: "Dwellings in the catalog published first (a tenth of them owned by catalog people).")
    var addresses = 100_000

    @Flag(help: "Do not publish the catalog (an earlier run did, with the same --addresses and --seed).")
    var noCatalog = false

    @Option(help: "Submissions to publish.")
    var count = 1_000_000

    @Option(help: "Fixes the catalog and the stream.")
    var seed: UInt64 = 1

    @Option(help: "The number of the first person (person numbers fix IINs).")
    var firstPerson = 0

    @Flag(help: "Only first permanent registrations (fills the index with --count people).")
    var registrationsOnly = false

    @Option(help: "Submissions per second; 0 publishes as fast as the broker acknowledges.")
    var rate = 0

    @Flag(help: "Wait until intake decided every submission and address-index and audit applied every accepted one; report the end-to-end rate.")
    var wait = false

    @Option(help: "address-index's base URL: sample registrations and time until GET /v1/persons/{iin}/registration shows them (needs --rate and $REGISTRY_JWT_SECRET).")
    var visibility: String?

    @Option(help: "With --visibility: sample every n-th first registration.")
    var sampleEvery = 250

    @Flag(help: "Instead: produce the same --count submissions to a scratch topic and consume them back, timing the one hop (no services).")
    var rawBaseline = false

    @Flag(help: "Instead: carry the same --count submissions through scratch topics shaped like the registry's (submitted → accepted → changed and current; audit reads all four) with consumers that only forward, timing the topology without the services' work.")
    var rawPipeline = false

    @Flag(help: "Instead: print the IINs of the --count people from --first-person, one per line (for lookup benchmarks).")
    var printIins = false

    @Flag(help: "End with one line of JSON holding the figures.")
    var json = false

    func validate() throws {
        guard count > 0, count <= 100_000_000 else { throw ValidationError("--count must be 1...100000000") }
        guard addresses > 0, addresses <= 10_000_000 else { throw ValidationError("--addresses must be 1...10000000") }
        guard rate >= 0, firstPerson >= 0, sampleEvery > 0 else { throw ValidationError("--rate and --first-person must not be negative, --sample-every positive") }
        if visibility != nil && rate == 0 { throw ValidationError("--visibility needs a fixed --rate (latency at an unbounded rate measures the queue)") }
        if rawBaseline && rawPipeline { throw ValidationError("--raw-baseline and --raw-pipeline are two separate runs") }
        if (rawBaseline || rawPipeline) && (wait || visibility != nil) { throw ValidationError("--raw-baseline and --raw-pipeline measure the broker alone; they take neither --wait nor --visibility") }
    }

    func run() async throws {
        if printIins {
            var (printed, number) = (0, firstPerson)
            while printed < count {
                if let person = LoadGenerator.person(number) {
                    print(person.iin.rawValue)
                    printed += 1
                }
                number += 1
            }
            return
        }
        let names = broker.topicNames
        let catalog = DemoData(addressCount: addresses, peopleCount: max(1, addresses / 10), seed: seed, now: Timestamp(.now)).addresses
        var results: [String: Double] = [:]
        do {
            let admin = try KafkaAdmin(configuration: broker.clientConfiguration, logger: broker.logger)
            // Every run times its messages from the moment they are handed over: the producer's
            // own start (its id, about half a second) is waited out first, or it would count as the
            // registry's latency (the first samples of a latency run) and throughput.
            var client = broker.clientConfiguration
            client.statisticsInterval = .milliseconds(100)
            client.extraProperties["statistics.interval.ms"] = nil
            let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: broker.logger)
            try await producer.awaitProducerID(timeout: .seconds(30))
            if rawBaseline {
                var baseline = RawBaseline(load: brokerOnly(admin: admin, producer: producer, catalog: catalog))
                results = try await baseline.run()
            } else if rawPipeline {
                var baseline = RawPipeline(load: brokerOnly(admin: admin, producer: producer, catalog: catalog))
                results = try await baseline.run()
            } else {
                if !noCatalog {
                    let topic = names.name(for: .addressCatalog)
                    try await SeedCommand.publish(try SeedCommand.catalogMessages(catalog, seed: seed, topic: topic), what: "addresses", to: topic, producer: producer)
                    try await PipelineWatch.waitForCatalog(admin: admin, names: names) { read, end in report("services have read \(read) of \(end) catalog entries") }
                    report("the services have read the catalog")
                }
                results = try await publishSubmissions(catalog, producer: producer, admin: admin)
            }
            _ = await producer.flush(timeout: .seconds(30))
        } catch let error as KafkaError {
            report("registryctl load: the broker at \(broker.clientConfiguration.bootstrapServers) did not take the load: \(error)")
            throw error.kind == .timedOut ? ExitStatus.brokerUnreachable : ExitCode.failure
        } catch let error as LoadError {
            report("registryctl load: \(error)")
            throw ExitCode.failure
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    /// A run without services over this command's stream.
    private func brokerOnly(admin: KafkaAdmin, producer: KafkaProducer, catalog: [AddressUpserted]) -> BrokerOnlyRun {
        BrokerOnlyRun(
            broker: broker, admin: admin, producer: producer, count: count,
            generator: LoadGenerator(catalog: catalog, seed: seed, firstPerson: firstPerson, registrationsOnly: registrationsOnly))
    }

    /// Publishes the stream (as fast as possible or at ``rate``), then waits if asked.
    private func publishSubmissions(_ catalog: [AddressUpserted], producer: KafkaProducer, admin: KafkaAdmin) async throws -> [String: Double] {
        let names = broker.topicNames
        let topic = names.name(for: .registrationSubmitted)
        let watch = wait ? try await PipelineWatch(admin: admin, names: names) : nil
        var probe: VisibilityProbe?
        if let visibility { probe = try await VisibilityProbe(indexURL: visibility) }
        var generator = LoadGenerator(catalog: catalog, seed: seed, firstPerson: firstPerson, registrationsOnly: registrationsOnly)
        var publisher = PipelinedPublisher(producer: producer)
        var published = 0
        var registrations = 0
        let started = ContinuousClock.now
        var lastReport = started
        report("publishing \(count) submissions to \(topic)\(rate > 0 ? " at \(rate)/s" : " as fast as the broker takes them")")
        while published < count {
            let allowed = rate == 0 ? count : min(count, Int((ContinuousClock.now - started).inSeconds * Double(rate)) + 1)
            guard allowed > published else {
                try await Task.sleep(for: .milliseconds(2))
                continue
            }
            var chunk: [KafkaProducerMessage] = []
            var sampled: [IIN] = []
            for _ in 0..<min(allowed - published, 5_000) {
                let item = generator.next()!
                chunk.append(try .event(item.event, topic: topic, key: item.event.data.person.iin.rawValue))
                if item.kind == .registration {
                    registrations += 1
                    if probe != nil && registrations % sampleEvery == 0 { sampled.append(item.event.data.person.iin) }
                }
            }
            published += chunk.count
            // The clock of a sample starts as its chunk goes to the producer.
            for iin in sampled { probe?.watch(iin) }
            try await publisher.publish(chunk)
            if ContinuousClock.now - lastReport >= .seconds(5) {
                report("published \(published) of \(count) (\(Int(Double(published) / (ContinuousClock.now - started).inSeconds))/s)")
                lastReport = .now
            }
        }
        try await publisher.finish()
        let publishSeconds = (ContinuousClock.now - started).inSeconds
        report("published \(published) submissions in \(String(format: "%.1f", publishSeconds)) s (\(Int(Double(published) / publishSeconds))/s): \(generator.mix)")
        var results: [String: Double] = ["submissions": Double(published), "publish_seconds": publishSeconds, "next_person": Double(generator.nextPerson)]
        if let watch {
            _ = try await watch.waitUntilDone(submissions: Int64(published)) { progress in
                report("decided \(progress.decided) of \(published); of \(progress.accepted) accepted: \(progress.indexed) indexed, \(progress.audited) audited")
            }
            let seconds = (ContinuousClock.now - started).inSeconds
            let accepted = try await watch.acceptedEvents(bootstrap: broker.clientConfiguration, logger: broker.logger)
            report("end to end: \(published) submissions (\(accepted) accepted) decided, indexed and audited in \(String(format: "%.1f", seconds)) s: \(Int(Double(published) / seconds)) events/s")
            results["e2e_seconds"] = seconds
            results["e2e_events_per_s"] = Double(published) / seconds
            results["accepted"] = Double(accepted)
        }
        if let probe {
            let latency = try await probe.finish()
            report("visibility of \(latency.samples) sampled registrations: p50 \(latency.p50) ms, p99 \(latency.p99) ms, max \(latency.max) ms (timed out: \(latency.timedOut))")
            results["latency_p50_ms"] = latency.p50
            results["latency_p99_ms"] = latency.p99
            results["latency_max_ms"] = latency.max
            results["latency_samples"] = Double(latency.samples)
            results["latency_timed_out"] = Double(latency.timedOut)
        }
        return results
    }
}

/// Prints a line and flushes it at once: stdio buffers a pipe fully, which would hide progress.
func report(_ line: String) {
    print(line)
    fflush(nil)
}
