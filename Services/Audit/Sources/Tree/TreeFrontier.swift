// The right edge of a growing tree: what appending a leaf needs.

import Foundation

/// The hashes of the complete subtrees that make up a tree of ``size`` leaves (one per set bit
/// of the size, largest first): enough to append leaves and to compute the tree head without
/// reading the log (RFC 9162 calls the idea a compact range).
public struct TreeFrontier: Sendable, Equatable {
    /// Leaves in the tree.
    public private(set) var size: Int
    /// The complete subtrees from left to right (largest first).
    public private(set) var hashes: [Data]

    /// A complete subtree finished by an append: `2^level` leaves starting at `index << level`.
    public struct Subtree: Sendable, Equatable {
        public let level: Int
        public let index: Int
        public let hash: Data
    }

    /// The empty tree.
    public init() {
        size = 0
        hashes = []
    }

    /// The frontier of the tree of `size` leaves in `source`.
    public init(size: Int, source: some SubtreeHashes) throws {
        self.size = size
        hashes = []
        var start = 0
        for level in stride(from: Int.bitWidth - 2, through: 0, by: -1) where size & (1 << level) != 0 {
            hashes.append(try source.subtree(level: level, index: start >> level))
            start += 1 << level
        }
    }

    /// Appends a leaf by its hash.
    /// - Returns: The complete subtrees of two or more leaves this leaf finished, lowest first.
    @discardableResult
    public mutating func append(leafHash: Data) -> [Subtree] {
        var carry = leafHash
        var level = 0
        var finished: [Subtree] = []
        while size & (1 << level) != 0 {
            carry = MerkleHash.node(hashes.removeLast(), carry)
            level += 1
            finished.append(Subtree(level: level, index: ((size + 1) >> level) - 1, hash: carry))
        }
        hashes.append(carry)
        size += 1
        return finished
    }

    /// `MTH` of the whole tree.
    public var root: Data {
        guard var head = hashes.last else { return MerkleHash.emptyTree }
        for left in hashes.dropLast().reversed() { head = MerkleHash.node(left, head) }
        return head
    }
}
