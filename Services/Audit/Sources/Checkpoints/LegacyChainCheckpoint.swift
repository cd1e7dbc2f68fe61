// The checkpoints of the hash chain the tree replaced, kept as history.

import Crypto
import Foundation

/// A checkpoint of the audit's former hash chain: a signed `{records, head, at}` statement
/// where `head` was `SHA-256(previous head ‖ canonical record bytes)` over the first `records`
/// records (the first previous head 32 zero bytes). The records are the tree's leaves in the same
/// order, so verification recomputes the chain from them (``LegacyChain``).
public struct LegacyChainCheckpoint: Hashable, Sendable {
    public let records: Int
    /// Hexadecimal chain head.
    public let head: String
    public let at: String
    /// Ed25519 over the statement, base64url.
    public let signature: String

    /// Whether `key` signed this statement.
    public func isSigned(by key: Curve25519.Signing.PublicKey) -> Bool {
        var base64 = signature.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let bytes = Data(base64Encoded: base64) else { return false }
        return key.isValidSignature(bytes, for: Data(#"{"at":"\#(at)","head":"\#(head)","records":\#(records)}"#.utf8))
    }
}

/// Recomputes the former hash chain over records, in order.
public struct LegacyChain {
    /// The head after the records so far.
    public private(set) var head = Data(repeating: 0, count: 32)
    /// Records so far.
    public private(set) var records = 0

    public init() {}

    /// Chains the next record's canonical bytes.
    public mutating func append(_ bytes: Data) {
        var hasher = SHA256()
        hasher.update(data: head)
        hasher.update(data: bytes)
        head = Data(hasher.finalize())
        records += 1
    }
}
