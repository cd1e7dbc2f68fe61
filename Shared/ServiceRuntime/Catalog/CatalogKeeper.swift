// Applies address.catalog.v1 messages to a service's catalog copy.

import Kafka
import RegistrySchema

/// Applies `address.upserted` and `address.retired` events (and tombstones, the compacted
/// topic's deletion) to an ``AddressCatalog``.
public struct CatalogKeeper: Sendable {
    let decoder = RegistryEventDecoder()

    /// Creates a keeper.
    public init() {}

    /// Applies one catalog message.
    /// - Returns: `nil` when applied, else why the message is unusable (to dead-letter it).
    public func apply(_ message: KafkaConsumerMessage, to catalog: AddressCatalog) throws -> DeadLetterReason? {
        guard let value = message.structuredValue else {
            if let key = message.keyString, let rca = RCA(rawValue: key) { try catalog.retire(rca) }
            return nil
        }
        let event: RegistryEvent
        do {
            event = try decoder.decodeEvent(from: value)
        } catch {
            return .undecodable(error)
        }
        switch event {
        case .addressUpserted(let upserted): try catalog.save(CatalogEntry(upserted.data))
        case .addressRetired(let retired): try catalog.retire(retired.data.rca)
        default: return .misplaced(event.eventType, on: "the catalog topic")
        }
        return nil
    }
}
