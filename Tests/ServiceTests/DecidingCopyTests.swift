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
        let known = try await decide(
            copy: FetchDormancySettings(after: .seconds(2), checkInterval: .seconds(60)), copyFetchWait: .milliseconds(20),
            decider: FetchDormancySettings(after: .seconds(2), checkInterval: .milliseconds(50)))
        #expect(known)
    }

    /// Neither stops fetching, but the copy's empty fetch is held for up to a second
    /// (`fetch.wait.max.ms`), the decider's for 20 ms: the copy may see a new dwelling later than
    /// the decider sees the event that names it. The deciding engine still waits for the copy:
    /// a copy that fetches is checked too.
    @Test func aCopyThatFetchesSlowlyIsWaitedFor() async throws {
        let known = try await decide(copy: nil, copyFetchWait: .seconds(1), decider: nil)
        #expect(known)
    }

    /// Runs a copy and an engine that decides against it, waits until both have settled,
    /// publishes a dwelling to the copy's topic and
    /// then an event naming it, and returns whether the copy held the dwelling when the event
    /// was decided.
    private func decide(copy copyDormancy: FetchDormancySettings?, copyFetchWait: Duration, decider: FetchDormancySettings?) async throws -> Bool {
        let topics = TopicNames(prefix: TestBroker.uniqueName("deciding-copy") + ".")
        let (copyTopic, decidedTopic) = (topics.name(for: .addressCatalog), topics.name(for: .registrationSubmitted))
        try await TestBroker.createTopics([copyTopic, decidedTopic, topics.name(for: .deadLetter)], partitions: 2)
        let store = try ServiceStore(directory: NSTemporaryDirectory() + "deciding-copy-" + UUID().uuidString, name: "deciding-copy") { _ in }
        let client = try TestBroker.clientConfiguration("deciding-copy")
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: TestBroker.logger)
        let relay = OutboxRelay(store: store, producer: producer, service: "deciding-copy", logger: TestBroker.logger)
        let ledger = Ledger()
        func engine(
            _ topic: String, _ processor: any BatchProcessor, fetchWait: Duration, dormancy: FetchDormancySettings?, membership: ConsumerMembership,
            decidedAgainst: DecidingCopy?
        ) -> ProcessingEngine {
            var consumer = KafkaConsumerConfiguration(client: client, groupID: TestBroker.uniqueName("deciding-copy-group"))
            consumer.fetchWait = fetchWait
            consumer.dormancy = dormancy
            return ProcessingEngine(
                store: store, processor: processor, consumer: consumer, topics: [topic], membership: membership,
                deadLetterMessage: DeadLetters.message(service: "deciding-copy", source: "/registry/test", topics: topics), relay: relay,
                decidedAgainst: decidedAgainst, service: "deciding-copy", logger: TestBroker.logger)
        }
        let copy = engine(copyTopic, CopyProcessor(ledger: ledger), fetchWait: copyFetchWait, dormancy: copyDormancy, membership: .everyPartition, decidedAgainst: nil)
        let handle = EngineHandle()
        handle.bind(copy)
        let deciding = engine(
            decidedTopic, DecidingProcessor(ledger: ledger), fetchWait: .milliseconds(20), dormancy: decider, membership: .group,
            decidedAgainst: DecidingCopy(handle: handle, logger: TestBroker.logger))
        let group = ServiceGroup(services: [producer, relay, copy, deciding], logger: TestBroker.logger)
        let running = Task { try await group.run() }

        // Those that stop fetching have stopped (a resumed fetch has 2 s to answer before they
        // stop again, as the services' 5 s); those that do not have read their topics' ends.
        try await waitUntil("the consumers settled", timeout: .seconds(60)) {
            (decider == nil ? deciding.isReady : deciding.isFetchDormant) && (copyDormancy == nil ? copy.isReady : copy.isFetchDormant)
        }
        _ = try await producer.send([KafkaProducerMessage(topic: copyTopic, key: "dwelling-1", value: Array("{}".utf8))])
        _ = try await producer.send([KafkaProducerMessage(topic: decidedTopic, key: "dwelling-1", value: Array("{}".utf8))])
        try await waitUntil("the event decided", timeout: .seconds(30)) { ledger.decisions.withLock { $0["dwelling-1"] != nil } }
        let known = ledger.decisions.withLock { $0["dwelling-1"] } == true

        await group.triggerGracefulShutdown()
        try await running.value
        try store.close()
        return known
    }
}
