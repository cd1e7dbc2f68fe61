// The JSON Schemas of the contract, shipped as resources of this module.

import Foundation

/// The JSON Schema (draft 2020-12) documents of every event's `data` and of the envelope,
/// published so upstream systems can validate before sending (docs/architecture.md §4.8).
///
/// Each is a resource file `<event type>.json` (e.g. `kz.registry.registration.submitted.v1.json`)
/// plus `cloudevent.json` for the envelope.
public enum RegistrySchemas {
    /// The name of the envelope's schema: `cloudevent`.
    public static let envelopeName = "cloudevent"

    /// The schema document for an event type string (e.g. `kz.registry.registration.submitted.v1`)
    /// or ``envelopeName``; `nil` when there is none.
    public static func schema(for typeName: String) -> Data? {
        guard !typeName.isEmpty, !typeName.contains("/"), !typeName.hasPrefix("."),
              let url = Bundle.module.url(forResource: typeName, withExtension: "json", subdirectory: "Schemas")
        else { return nil }
        return try? Data(contentsOf: url)
    }

    /// The schema document of an event type's `data`.
    public static func schema(for eventType: EventType) -> Data? {
        schema(for: eventType.rawValue)
    }

    /// The envelope's schema document (`cloudevent.json`).
    public static var envelopeSchema: Data? {
        schema(for: envelopeName)
    }

    /// The event type strings that have a schema among the resources, sorted.
    public static var allTypeNames: [String] {
        guard let directory = Bundle.module.resourceURL?.appendingPathComponent("Schemas", isDirectory: true),
              let files = try? FileManager.default.contentsOfDirectory(atPath: directory.path)
        else { return [] }
        return files
            .filter { $0.hasSuffix(".json") }
            .map { String($0.dropLast(".json".count)) }
            .filter { $0 != envelopeName }
            .sorted()
    }
}
