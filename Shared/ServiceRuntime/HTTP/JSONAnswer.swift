// Every JSON answer the services write, assembled in one place.

import Foundation
import Hummingbird
import RegistrySchema

/// Builds the services' JSON responses: encoded values (``SortedJSONEncoder`` as the routes'
/// response encoder), bodies that mix encoded values with computed fields (a page with its
/// `next` cursor, a record list beside its subject), problem details, health and documents. All
/// carry one content type per media type and their length, with sorted keys and unescaped
/// slashes like every event.
public enum JSONAnswer {
    /// The media type of JSON answers, as the OpenAPI documents declare it (RFC 8259 defines no
    /// `charset` parameter: JSON is UTF-8).
    public static let contentType = "application/json"

    /// A response whose body is the JSON `bytes`, of media type `contentType` (e.g.
    /// `application/problem+json`, `application/jwk-set+json`).
    public static func response(
        bytes: some Collection<UInt8>, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:], contentType: String = contentType
    ) -> Response {
        var fields = headers
        fields[.contentType] = contentType
        fields[.contentLength] = String(bytes.count)
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// A response whose body is `object` (dictionaries, arrays, strings, numbers, `NSNull`).
    public static func response(
        _ object: [String: Any], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:], contentType: String = contentType
    ) throws -> Response {
        response(bytes: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), status: status, headers: headers, contentType: contentType)
    }

    /// `value` as Foundation JSON values (dictionaries, arrays, strings, numbers, `NSNull`), to
    /// place inside such a body.
    public static func plain(_ value: some Encodable) throws -> Any {
        try JSONSerialization.jsonObject(with: encoder.encode(value), options: [.fragmentsAllowed])
    }

    private static let encoder = SortedJSONEncoder()
}
