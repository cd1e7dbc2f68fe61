// Request bodies decoded with errors that say where and what.

import Foundation
import Hummingbird

/// Decodes JSON request bodies (up to the context's body limit) and reports a bad body as a
/// 400 ``Problem`` naming the field and the fault (e.g. `filter.iins[2]: expected String`),
/// where Hummingbird's default would answer with Swift's `Coding key … not found` wording.
public struct RegistryRequestDecoder: RequestDecoder {
    private let decoder = JSONDecoder()

    /// Creates the decoder.
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        do {
            return try decoder.decode(T.self, from: body)
        } catch let error as DecodingError {
            throw Problem.badRequest("The body is not valid: \(error.problemDescription)")
        }
    }
}
