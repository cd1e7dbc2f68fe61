// JSON answers written by the registry's own encoder.

import Foundation
import Hummingbird
import NIOCore
import RegistrySchema

extension SortedJSONEncoder: ResponseEncoder {
    /// A 200 answer with `value` as its JSON body: the headers Hummingbird's `JSONEncoder`
    /// answers with (content type and length), the bytes `JSONEncoder` would write.
    public func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        let body = try encodeBytes(value)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.contentLength] = String(body.count)
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
