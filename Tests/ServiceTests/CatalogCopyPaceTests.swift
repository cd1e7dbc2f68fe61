// A catalog copy is read promptly while fetching, and can be brought up to date on demand, only
// when it decides what happens to events.

import Kafka
import RegistrySchema
import ServiceRuntime
import Testing

private struct IgnoringProcessor: BatchProcessor {
    func apply(_ messages: [KafkaConsumerMessage], in transaction: inout BatchTransaction) throws {}
}

struct CatalogCopyPaceTests {
    @Test func aCopyThatDecidesEventsIsPromptAndOneThatDoesNotWaits() {
        let topics = TopicNames(prefix: "t.")
        let gate = CatchUpGate(name: topics.name(for: .addressCatalog))
        let deciding = ConsumerPart.catalogCopy(processor: IgnoringProcessor(), topics: topics, caughtUp: gate, decidesEvents: true)
        let reading = ConsumerPart.catalogCopy(processor: IgnoringProcessor(), topics: topics, caughtUp: gate, decidesEvents: false)
        #expect(deciding.pace.fetchWait == .milliseconds(20))
        #expect(reading.pace.fetchWait == .milliseconds(500))
        // Idle, both look for new messages every second: the engine the deciding copy decides for
        // checks it before each batch, through the handle it names as its `decidedAgainst`
        // (DecidingCopyTests).
        #expect(deciding.pace.dormancy.checkInterval == .seconds(1))
        #expect(reading.pace.dormancy.checkInterval == .seconds(1))
        #expect(deciding.handle != nil)
        #expect(reading.handle == nil)
        for part in [deciding, reading] {
            #expect(part.topics == [topics.name(for: .addressCatalog)])
            #expect(part.groupSuffix == ".catalog")
            #expect(part.caughtUp === gate)
        }
    }
}
