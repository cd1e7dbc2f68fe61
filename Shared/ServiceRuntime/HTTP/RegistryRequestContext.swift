// The request context of every service: body limit and the authenticated caller.

import Foundation
import Hummingbird
import Logging
import NIOCore
import RegistrySchema

/// Per-request state: Hummingbird's core context, the body limit and, once the authentication
/// middleware ran, the caller.
public struct RegistryRequestContext: RequestContext, Sendable {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated caller, if the request carried a valid token.
    public var principal: Principal?
    /// Whether the token was missing, or present but invalid (and why), for 401 details.
    public var authenticationFailure: String?

    /// The client's IP address, for counting requests that carry no token.
    public var clientAddress: String?

    public init(source: Source) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Bodies over 1 MiB are refused with 413.
    public var maxUploadSize: Int { 1 << 20 }

    /// JSON bodies, with precise 400s (``RegistryRequestDecoder``).
    public var requestDecoder: RegistryRequestDecoder { RegistryRequestDecoder() }

    /// JSON answers with sorted keys and unescaped slashes (`"/egov/portal"`), like the events.
    public var responseEncoder: SortedJSONEncoder { Self.encoder }

    private static let encoder = SortedJSONEncoder()
}
