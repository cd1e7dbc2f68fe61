// Integration test against the real broker: events are decided against a copy that holds what
// its topic held, also when the copy had stopped fetching.

import Foundation
import Kafka
import RegistrySchema
import ServiceLifecycle
@testable import ServiceRuntime
import Synchronization
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3))) struct DecidingCopyTests {
    /// The keys the copy applied, and per decided key whether the copy had it.
    final class Ledger: Sendable {
        let known = Mutex<Set<String>>([])
        let decisions = Mutex<[String: Bool]>([:])
    }

    struct CopyProcessor: BatchProcessor {
        let ledger: Ledger
        func apply(_ messages: [KafkaConsumerMessage], in transaction: inout BatchTransaction) throws {
            ledger.known.withLock { known in for message in messages { known.insert(message.keyString ?? "") } }
        }
    }

    struct DecidingProcessor: BatchProcessor {
        let ledger: Ledger
        func apply(_ messages: [KafkaConsumerMessage], in transaction: inout BatchTransaction) throws {
            for message in messages {
                let key = message.keyString ?? ""
                let known = ledger.known.withLock { $0.contains(key) }
                ledger.decisions.withLock { $0[key] = known }
            }
        }
    }

    /// Both consumers have stopped fetching, and the copy would look for new messages only a
    /// minute later. A dwelling published to the copy's topic just before the event that names
    /// it is in the copy when the event is decided: the deciding engine checked the copy's ends,
    /// woke it and waited for it. (With `decidedAgainst` left out, the event is decided against
    /// the copy as it was: unknown.)
    @Test func aDormantCopyIsBroughtUpToDateBeforeABatchIsDecided() async throws {
        let topics = TopicNames(prefix: TestBroker.uniqueName("deciding-copy") + ".")
        let (copyTopic, decidedTopic) = (topics.name(for: .addressCatalog), topics.name(for: .registrationSubmitted))
        try await TestBroker.createTopics([copyTopic, decidedTopic, topics.name(for: .deadLetter)], partitions: 2)
        let store = try ServiceStore(directory: NSTemporaryDirectory() + "deciding-copy-" + UUID().uuidString, name: "deciding-copy") { _ in }
        let client = try TestBroker.clientConfiguration("deciding-copy")
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: TestBroker.logger)
        let relay = OutboxRelay(store: store, producer: producer, service: "deciding-copy", logger: TestBroker.logger)
        let ledger = Ledger()
        func engine(_ topic: String, _ processor: any BatchProcessor, check: Duration, membership: ConsumerMembership, decidedAgainst: DecidingCopy?) -> ProcessingEngine {
            var consumer = KafkaConsumerConfiguration(client: client, groupID: TestBroker.uniqueName("deciding-copy-group"))
            // As the services' consumers: a resumed fetch has time to answer before fetching stops again.
            consumer.fetchWait = .milliseconds(20)
            consumer.dormancy = FetchDormancySettings(after: .seconds(2), checkInterval: check)
            return ProcessingEngine(
                store: store, processor: processor, consumer: consumer, topics: [topic], membership: membership,
                deadLetterMessage: DeadLetters.message(service: "deciding-copy", source: "/registry/test", topics: topics), relay: relay,
                decidedAgainst: decidedAgainst, service: "deciding-copy", logger: TestBroker.logger)
        }
        let copy = engine(copyTopic, CopyProcessor(ledger: ledger), check: .seconds(60), membership: .everyPartition, decidedAgainst: nil)
        let handle = EngineHandle()
        handle.bind(copy)
        let deciding = engine(
            decidedTopic, DecidingProcessor(ledger: ledger), check: .milliseconds(50), membership: .group,
            decidedAgainst: DecidingCopy(handle: handle, logger: TestBroker.logger))
        let group = ServiceGroup(services: [producer, relay, copy, deciding], logger: TestBroker.logger)
        let running = Task { try await group.run() }

        try await waitUntil("both consumers stopped fetching", timeout: .seconds(60)) { copy.isFetchDormant && deciding.isFetchDormant }
        _ = try await producer.send([KafkaProducerMessage(topic: copyTopic, key: "dwelling-1", value: Array("{}".utf8))])
        _ = try await producer.send([KafkaProducerMessage(topic: decidedTopic, key: "dwelling-1", value: Array("{}".utf8))])
        try await waitUntil("the event decided", timeout: .seconds(30)) { ledger.decisions.withLock { $0["dwelling-1"] != nil } }
        #expect(ledger.decisions.withLock { $0["dwelling-1"] } == true)

        await group.triggerGracefulShutdown()
        try await running.value
        try store.close()
    }
}
