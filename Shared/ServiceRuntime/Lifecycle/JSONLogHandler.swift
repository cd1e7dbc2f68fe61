// LOG_FORMAT=json: one JSON object per log record, one record per line.

import Foundation
import Logging
import RegistrySchema
import Synchronization

/// Writes each log record as one line of JSON:
/// `{"level":"info","logger":"kz.registry.audit","message":"…","metadata":{…},"time":"2026-11-25T09:00:00.123Z"}`
/// (keys sorted, as every JSON the registry writes).
///
/// It formats what the code logged and nothing more: IINs are masked where they are logged
/// (`860101****25`), exactly as in the text format. Text is written as UTF-8 without escaping
/// beyond what JSON requires, so a search of the logs finds what a search of text logs finds.
public struct JSONLogHandler: LogHandler {
    /// Where the lines go; one `write` per record.
    public typealias Output = @Sendable ([UInt8]) -> Void

    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let output: Output

    /// A handler writing to standard error, serialised so concurrent records never interleave.
    public static func standardError(label: String) -> JSONLogHandler {
        JSONLogHandler(label: label, output: StandardErrorLines.write)
    }

    /// A handler writing its lines to `output` (tests).
    public init(label: String, output: @escaping Output) {
        self.label = label
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        // JSONWriter writes keys in sorted order.
        var writer = JSONWriter(capacity: 256)
        writer.object { line in
            line.field("level", event.level.rawValue)
            line.field("logger", label)
            line.field("message", event.message.description)
            if !merged.isEmpty { line.field("metadata", JSONLogValue(value: .dictionary(merged))) }
            line.field("time", Self.timestamp())
        }
        output(writer.bytes + [UInt8(ascii: "\n")])
    }

    /// The current time as RFC 3339 in UTC, to the millisecond.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Timestamp(secondsSince1970: Int64(now.tv_sec), nanoseconds: Int32(now.tv_nsec / 1_000_000 * 1_000_000)).description
    }
}

/// Standard error, one whole line per write, one writer at a time.
private enum StandardErrorLines {
    static let lock = Mutex(())

    static let write: JSONLogHandler.Output = { bytes in
        lock.withLock { _ in
            bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = Glibc.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                    if written <= 0 {
                        if written < 0 && errno == EINTR { continue }
                        return
                    }
                    offset += written
                }
            }
        }
    }
}

/// A log metadata value as JSON: strings as strings, arrays and dictionaries (keys sorted) as such.
struct JSONLogValue: JSONWritable {
    let value: Logger.MetadataValue

    func writeJSON(to writer: inout JSONWriter) {
        switch value {
        case .string(let text): writer.string(text)
        case .stringConvertible(let convertible): writer.string(convertible.description)
        case .array(let values): writer.array(values.map(JSONLogValue.init))
        case .dictionary(let entries):
            writer.object { writer in
                for (key, value) in entries.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
                    writer.key(key)
                    JSONLogValue(value: value).writeJSON(to: &writer)
                }
            }
        }
    }
}
