// Keeps intake's copy of address.catalog.v1.

import Kafka
import RegistrySchema

/// Applies `address.upserted` and `address.retired` events (and tombstones, the compacted
/// topic's deletion) to intake's catalog copy.
struct CatalogKeeper: Sendable {
    let decoder = RegistryEventDecoder()

    func handle(_ message: KafkaConsumerMessage, store: IntakeStore) throws -> MessageOutcome {
        guard let value = message.value else {
            if let key = message.keyString, let rca = RCA(rawValue: key) { try store.retire(rca) }
            return MessageOutcome(kind: .catalogUpdated)
        }
        let event: RegistryEvent
        do {
            event = try decoder.decodeEvent(from: value)
        } catch {
            return MessageOutcome(kind: .unreadable, deadLetter: "\(error.rejectionCode.rawValue) \(error)")
        }
        switch event {
        case .addressUpserted(let upserted): try store.saveCatalogEntry(CatalogEntry(upserted.data))
        case .addressRetired(let retired): try store.retire(retired.data.rca)
        default:
            return MessageOutcome(kind: .unreadable, deadLetter: "UNSUPPORTED_TYPE \(event.eventType.rawValue) does not belong on the catalog topic")
        }
        return MessageOutcome(kind: .catalogUpdated)
    }
}
