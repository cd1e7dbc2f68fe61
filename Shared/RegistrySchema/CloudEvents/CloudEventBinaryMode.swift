// CloudEvents binary content mode: attributes in headers, data alone as the value or body.

import Foundation

/// Reads events sent in CloudEvents **binary content mode**, as the Kafka and HTTP protocol
/// bindings define it and as the CloudEvents Java and Go SDKs send by default (docs/architecture.md §4): every
/// attribute is a header named with a prefix (`ce_` on Kafka, `ce-` over HTTP) and the
/// attribute's name, `datacontenttype` is the `content-type` header, and the message value (or
/// request body) is `data` alone.
///
/// Such an event is turned into the structured JSON document it stands for, so that one decoder
/// (and one set of error messages) serves both modes: `data` is the value itself when it is one
/// JSON value, a JSON string when it is other text, and `data_base64` otherwise (the JSON event
/// format's rules), which the registry's decoders then refuse as malformed.
public enum CloudEventBinaryMode {
    /// The Kafka protocol binding's header prefix: `ce_`.
    public static let kafkaPrefix = "ce_"
    /// The HTTP protocol binding's header prefix: `ce-` (header names are case-insensitive).
    public static let httpPrefix = "ce-"

    /// Whether a message with these headers is in binary mode: it has a `specversion` header and
    /// its `content-type` is not a structured-mode one (`application/cloudevents…`). A message
    /// with neither is read as structured JSON, as it always was.
    ///
    /// Every consumed message goes through this, so it compares bytes and copies nothing.
    /// - Parameters:
    ///   - headers: The header names and values (compared without regard to ASCII case).
    ///   - prefix: ``kafkaPrefix`` or ``httpPrefix``.
    public static func isBinary<S: Sequence, Value: Collection<UInt8>>(headers: S, prefix: String) -> Bool
    where S.Element == (name: String, value: Value) {
        var specVersion = false
        for header in headers {
            if equalsIgnoringCase(header.name.utf8, CloudEventsContentType.headerName.utf8) {
                if hasPrefixIgnoringCase(header.value, structuredPrefix.utf8) { return false }
            } else if header.name.utf8.count == prefix.utf8.count + specVersionAttribute.utf8.count,
                hasPrefixIgnoringCase(header.name.utf8, prefix.utf8),
                equalsIgnoringCase(header.name.utf8.dropFirst(prefix.utf8.count), specVersionAttribute.utf8) {
                specVersion = true
            }
        }
        return specVersion
    }

    /// ``isBinary(headers:prefix:)`` for headers whose values are strings (HTTP).
    public static func isBinary<S: Sequence>(headers: S, prefix: String) -> Bool where S.Element == (name: String, value: String) {
        isBinary(headers: headers.lazy.map { (name: $0.name, value: $0.value.utf8) }, prefix: prefix)
    }

    /// The structured JSON document of an event received in binary mode.
    /// - Parameters:
    ///   - headers: The message's headers; those named `prefix` + an attribute name become that
    ///     attribute (the last one wins when a name repeats; names that are not CloudEvents
    ///     attribute names, lower-case letters and digits, are ignored), `content-type` becomes
    ///     `datacontenttype`. Values are taken as they are: an HTTP caller percent-decodes first
    ///     (``percentDecoded(_:)``).
    ///   - prefix: ``kafkaPrefix`` or ``httpPrefix``.
    ///   - data: The value or body; `nil` (a Kafka tombstone) leaves `data` out.
    /// - Returns: UTF-8 JSON with sorted keys.
    public static func structuredJSON<S: Sequence>(headers: S, prefix: String, data: [UInt8]?) -> [UInt8] where S.Element == (name: String, value: String) {
        var attributes: [String: String] = [:]
        for header in headers {
            if equalsIgnoringCase(header.name.utf8, CloudEventsContentType.headerName.utf8) {
                attributes["datacontenttype"] = header.value
            } else if hasPrefixIgnoringCase(header.name.utf8, prefix.utf8) {
                let name = String(header.name.dropFirst(prefix.count)).lowercased()
                guard name != "data", name != "data_base64", name != "datacontenttype", isAttributeName(name) else { continue }
                attributes[name] = header.value
            }
        }
        var members: [(key: String, write: (inout JSONWriter) -> Void)] = attributes.map { name, value in (name, { $0.string(value) }) }
        if let data {
            if isOneJSONValue(data) {
                members.append(("data", { $0.rawJSON(data) }))
            } else if let text = String(validating: data, as: UTF8.self) {
                members.append(("data", { $0.string(text) }))
            } else {
                members.append(("data_base64", { $0.string(Data(data).base64EncodedString()) }))
            }
        }
        members.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        var writer = JSONWriter(capacity: (data?.count ?? 0) + 512)
        writer.object { w in
            for member in members {
                w.key(member.key)
                member.write(&w)
            }
        }
        return writer.bytes
    }

    /// An HTTP header value with its percent-encoding undone (HTTP binding §3.1.3.2: values
    /// outside printable ASCII, and `%`, `"` and space, are sent percent-encoded). A `%` not
    /// followed by two hex digits, or bytes that are not UTF-8 once decoded, leave the value as it was.
    public static func percentDecoded(_ value: String) -> String {
        guard value.utf8.contains(UInt8(ascii: "%")) else { return value }
        var bytes: [UInt8] = []
        var input = value.utf8[...]
        while let byte = input.popFirst() {
            if byte == UInt8(ascii: "%"), input.count >= 2,
               let high = hexValue(input[input.startIndex]), let low = hexValue(input[input.index(after: input.startIndex)]) {
                bytes.append(high << 4 | low)
                input = input.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self) ?? value
    }

    private static let structuredPrefix = "application/cloudevents"
    private static let specVersionAttribute = "specversion"

    /// CloudEvents attribute names: lower-case ASCII letters and digits.
    static func isAttributeName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) }
    }

    /// Whether `bytes` hold exactly one JSON value (whitespace around it allowed).
    static func isOneJSONValue(_ bytes: [UInt8]) -> Bool {
        if (try? JSONReader.read(bytes, { (r: inout JSONReader) throws(JSONReader.Miss) in try r.skipValue() })) != nil { return true }
        // The fast reader gives up on escapes and deep nesting; Foundation decides those.
        return (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil
    }

    private static func equalsIgnoringCase(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        a.count == b.count && hasPrefixIgnoringCase(a, b)
    }

    /// ASCII case-insensitive prefix test on bytes, without lower-cased copies.
    private static func hasPrefixIgnoringCase(_ text: some Collection<UInt8>, _ prefix: some Collection<UInt8>) -> Bool {
        text.count >= prefix.count && zip(text, prefix).allSatisfy { lower($0) == lower($1) }
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        (0x41...0x5A).contains(byte) ? byte + 0x20 : byte
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
