// Standard Webhooks signing: the headers a receiver checks.

import Crypto
import Foundation

/// Signs deliveries as the Standard Webhooks convention does (docs/architecture.md §5.2):
/// `webhook-signature: v1,<base64 HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>")>`.
public enum WebhookSignature {
    /// The `webhook-signature` value for one request.
    /// - Parameters:
    ///   - id: `webhook-id` (the event id: the same on every retry).
    ///   - timestamp: `webhook-timestamp`, seconds since 1970.
    ///   - body: The exact request body bytes.
    ///   - key: The secret's key material (``WebhookSecret/key``).
    public static func sign(id: String, timestamp: Int64, body: some Sequence<UInt8>, key: [UInt8]) -> String {
        var content = Array("\(id).\(timestamp).".utf8)
        content.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: key))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The three signing headers, in the order receivers' libraries document them.
    public static func headers(id: String, timestamp: Int64, body: [UInt8], key: [UInt8]) -> [(name: String, value: String)] {
        [("webhook-id", id), ("webhook-timestamp", String(timestamp)), ("webhook-signature", sign(id: id, timestamp: timestamp, body: body, key: key))]
    }
}

/// A subscription's signing secret. A `whsec_`-prefixed secret is base64 key material (the
/// Standard Webhooks form); any other string is used as its UTF-8 bytes.
public struct WebhookSecret: Sendable, Hashable {
    /// The HMAC key.
    public let key: [UInt8]

    /// The secret a subscriber gave.
    /// - Throws: A message for the 400 when the secret is too short or its base64 is broken.
    public init(_ text: String) throws(InvalidSecret) {
        if text.hasPrefix("whsec_") {
            guard let decoded = Data(base64Encoded: String(text.dropFirst(6))) else {
                throw InvalidSecret(reason: "a whsec_ secret must be followed by base64 key material")
            }
            key = Array(decoded)
        } else {
            key = Array(text.utf8)
        }
        guard (24...512).contains(key.count) else {
            throw InvalidSecret(reason: "the secret must hold 24 to 512 bytes of key material (it has \(key.count))")
        }
    }

    /// A new random secret in the `whsec_` form (32 bytes), with its text to hand out once.
    public static func generate() -> (secret: WebhookSecret, text: String) {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        let text = "whsec_" + Data(bytes).base64EncodedString()
        return (try! WebhookSecret(text), text)
    }

    init(key: [UInt8]) {
        self.key = key
    }

    /// Why a secret was refused.
    public struct InvalidSecret: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }
}
