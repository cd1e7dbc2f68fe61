// JSON answers written by the registry's own encoder.

import Hummingbird
import RegistrySchema

extension SortedJSONEncoder: ResponseEncoder {
    /// A 200 answer with `value` as its JSON body (the bytes `JSONEncoder` would write).
    public func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        JSONAnswer.response(bytes: try encodeBytes(value))
    }
}
