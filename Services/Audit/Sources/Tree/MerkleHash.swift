// The hashes of an RFC 9162 Merkle tree (§2.1.1).

import Crypto
import Foundation

/// The hashing of RFC 9162 §2.1.1 with SHA-256: a leaf is `SHA-256(0x00 ‖ leaf bytes)`, an
/// interior node `SHA-256(0x01 ‖ left ‖ right)`, the empty tree `SHA-256()`. The prefixes keep a
/// leaf from ever passing for a node (second-preimage resistance).
public enum MerkleHash {
    /// The hash of the tree with no leaves.
    public static let emptyTree = Data(SHA256.hash(data: Data()))

    /// The hash of a leaf.
    public static func leaf(_ bytes: some DataProtocol) -> Data {
        var hasher = SHA256()
        hasher.update(data: leafPrefix)
        hasher.update(data: bytes)
        return Data(hasher.finalize())
    }

    /// The hash of an interior node.
    public static func node(_ left: Data, _ right: Data) -> Data {
        var hasher = SHA256()
        hasher.update(data: nodePrefix)
        hasher.update(data: left)
        hasher.update(data: right)
        return Data(hasher.finalize())
    }

    private static let leafPrefix = Data([0x00])
    private static let nodePrefix = Data([0x01])
}

extension Int {
    /// The largest power of two smaller than `self` (RFC 9162's `k` for `n > 1`).
    var largestPowerOfTwoBelow: Int {
        precondition(self > 1)
        return 1 << (Int.bitWidth - 1 - (self - 1).leadingZeroBitCount)
    }
}
