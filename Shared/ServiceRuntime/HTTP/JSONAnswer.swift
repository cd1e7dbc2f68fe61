// JSON answers assembled from dictionaries, in the registry's one JSON style.

import Foundation
import Hummingbird

/// Builds `application/json` responses for bodies that mix encoded values with computed fields
/// (a page with its `next` cursor, a record list beside its subject), with sorted keys and
/// unescaped slashes like every other answer and event.
public enum JSONAnswer {
    /// A response whose body is `object`.
    public static func response(_ object: [String: Any], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        let body = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// `value` as Foundation JSON values (dictionaries, arrays, strings, numbers, `NSNull`), to
    /// place inside such a body.
    public static func plain(_ value: some Encodable) throws -> Any {
        try JSONSerialization.jsonObject(with: encoder.encode(value), options: [.fragmentsAllowed])
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
