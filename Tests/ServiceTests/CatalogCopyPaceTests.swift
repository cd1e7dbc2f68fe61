// A catalog copy is read promptly only when it decides what happens to events.

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
        for part in [deciding, reading] {
            #expect(part.topics == [topics.name(for: .addressCatalog)])
            #expect(part.groupSuffix == ".catalog")
            #expect(part.caughtUp === gate)
        }
    }
}
