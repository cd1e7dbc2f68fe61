// Tree heads and proofs of RFC 9162 §2.1, over any source of complete subtree hashes.

import Foundation

/// Gives the hash of any complete subtree of a Merkle tree: `2^level` leaves starting at leaf
/// `index << level`. Tree heads and proofs (``MerkleProofs``) need nothing else, so an in-memory
/// tree (tests) and the store's (``StoredTree``) compute them with the same code.
public protocol SubtreeHashes {
    /// The hash of the complete subtree of `2^level` leaves that starts at leaf `index << level`.
    func subtree(level: Int, index: Int) throws -> Data
}

/// Tree heads, inclusion proofs and consistency proofs as RFC 9162 §2.1.2-2.1.4 define them
/// (`MTH`, `PATH`, `PROOF`/`SUBPROOF`), written as its recursions.
public struct MerkleProofs<Source: SubtreeHashes> {
    /// Where the subtree hashes come from.
    public let source: Source

    /// Proofs over `source`.
    public init(_ source: Source) {
        self.source = source
    }

    /// `MTH(D[0:size])`: the tree head of the first `size` leaves.
    public func root(size: Int) throws -> Data {
        size == 0 ? MerkleHash.emptyTree : try hash(start: 0, count: size)
    }

    /// `PATH(index, D[0:size])`: the audit path of leaf `index` in the tree of `size` leaves,
    /// from the leaf's sibling upwards.
    public func inclusionProof(index: Int, size: Int) throws -> [Data] {
        precondition(index >= 0 && index < size)
        var proof: [Data] = []
        try path(index, start: 0, count: size, into: &proof)
        return proof
    }

    /// `PROOF(from, D[0:to])`: the hashes that show the tree of `to` leaves extends the tree of
    /// `from` leaves (empty when they are equal).
    public func consistencyProof(from: Int, to: Int) throws -> [Data] {
        precondition(from > 0 && from <= to)
        var proof: [Data] = []
        if from < to { try subproof(from, start: 0, count: to, complete: true, into: &proof) }
        return proof
    }

    /// `MTH(D[start:start+count])`. The ranges RFC 9162's recursions ask for split into aligned
    /// complete subtrees, which the source has.
    func hash(start: Int, count: Int) throws -> Data {
        if count & (count - 1) == 0, start % count == 0 {
            return try source.subtree(level: count.trailingZeroBitCount, index: start / count)
        }
        let k = count.largestPowerOfTwoBelow
        return MerkleHash.node(try hash(start: start, count: k), try hash(start: start + k, count: count - k))
    }

    private func path(_ m: Int, start: Int, count n: Int, into proof: inout [Data]) throws {
        guard n > 1 else { return }
        let k = n.largestPowerOfTwoBelow
        if m < k {
            try path(m, start: start, count: k, into: &proof)
            proof.append(try hash(start: start + k, count: n - k))
        } else {
            try path(m - k, start: start + k, count: n - k, into: &proof)
            proof.append(try hash(start: start, count: k))
        }
    }

    private func subproof(_ m: Int, start: Int, count n: Int, complete: Bool, into proof: inout [Data]) throws {
        if m == n {
            if !complete { proof.append(try hash(start: start, count: n)) }
            return
        }
        let k = n.largestPowerOfTwoBelow
        if m <= k {
            try subproof(m, start: start, count: k, complete: complete, into: &proof)
            proof.append(try hash(start: start + k, count: n - k))
        } else {
            try subproof(m - k, start: start + k, count: n - k, complete: false, into: &proof)
            proof.append(try hash(start: start, count: k))
        }
    }
}
