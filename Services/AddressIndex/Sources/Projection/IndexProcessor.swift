// address-index's batch logic: its catalog copy and the accepted registrations.

import Kafka
import RegistrySchema
import ServiceRuntime

/// Applies a batch of `address.catalog.v1` or `registration.accepted.v1` in the engine's
/// transaction (one engine per topic; the accepted one starts after the catalog is read).
struct IndexProcessor: BatchProcessor {
    let catalogTopic: String
    let projector: RegistrationProjector
    let keeper = CatalogKeeper()

    func apply(_ messages: [KafkaConsumerMessage], in transaction: inout BatchTransaction) throws {
        let store = IndexStore(transaction.db)
        for message in messages {
            if message.topic == catalogTopic {
                if let problem = try keeper.apply(message, to: AddressCatalog(transaction.db)) { transaction.deadLetter(message, reason: problem) }
                continue
            }
            let outcome = try projector.handle(message.structuredValue, store: store, headerTrace: message.headerTrace)
            for event in outcome.emitted { try transaction.emit(event, causedBy: message) }
            if let reason = outcome.deadLetter { transaction.deadLetter(message, reason: reason) }
        }
    }
}
