// The tree against RFC 9162 itself: its definitions written out again here, its example shapes,
// and every proof for every tree size from 1 to 300 checked by an independent Python program.

import Foundation
import Testing
import TestSupport
@testable import Audit

/// A tree held in memory, its subtrees computed by RFC 9162's definition of MTH (recursively,
/// from the leaf hashes), independently of ``TreeFrontier`` and ``StoredTree``.
struct ReferenceTree: SubtreeHashes {
    let leaves: [Data]
    private let memo = Memo()

    /// Remembers computed ranges: the proofs of every tree up to 300 leaves ask for the same
    /// subtrees over and over, and the debug build hashes slowly.
    private final class Memo: @unchecked Sendable {
        var hashes: [Int: Data] = [:]
    }

    /// A tree over `leaves`.
    init(leaves: [Data]) {
        self.leaves = leaves
    }

    /// A tree of `count` small distinct leaves.
    init(count: Int) {
        leaves = (0..<count).map { Data("leaf \($0)".utf8) }
    }

    /// MTH(D[start:end]) exactly as RFC 9162 §2.1.1 defines it.
    func mth(_ start: Int, _ end: Int) -> Data {
        let key = start << 32 | end
        if let known = memo.hashes[key] { return known }
        let n = end - start
        let hash: Data
        if n == 0 {
            hash = MerkleHash.emptyTree
        } else if n == 1 {
            hash = MerkleHash.leaf(leaves[start])
        } else {
            var k = 1
            while k * 2 < n { k *= 2 }
            hash = MerkleHash.node(mth(start, start + k), mth(start + k, end))
        }
        memo.hashes[key] = hash
        return hash
    }

    func subtree(level: Int, index: Int) throws -> Data {
        mth(index << level, (index + 1) << level)
    }
}

@Suite struct MerkleTreeTests {
    @Test func theHashesAreRFC9162s() {
        // SHA-256 of the empty string, and of 0x00 alone (an empty leaf).
        #expect(MerkleHash.emptyTree.hexString == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(MerkleHash.leaf(Data()).hexString == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    }

    @Test func theFrontierGrowsTheTreeTheDefinitionDescribes() throws {
        let reference = ReferenceTree(count: 300)
        var frontier = TreeFrontier()
        var stored: [String: Data] = [:]
        for size in 1...300 {
            for subtree in frontier.append(leafHash: MerkleHash.leaf(reference.leaves[size - 1])) {
                stored["\(subtree.level)/\(subtree.index)"] = subtree.hash
                #expect(subtree.hash == reference.mth(subtree.index << subtree.level, (subtree.index + 1) << subtree.level))
            }
            #expect(frontier.root == reference.mth(0, size), "size \(size)")
            #expect(try TreeFrontier(size: size, source: reference) == frontier, "a frontier rebuilt from subtrees is the grown one (size \(size))")
        }
        #expect(stored.count == 300 - 300.nonzeroBitCount, "a tree of n leaves has n − popcount(n) complete subtrees of two or more leaves")
    }

    /// RFC 9162 §2.1.5's example: a tree of seven leaves d0…d6 with the nodes named a…l.
    @Test func rfc9162ExampleShapes() throws {
        let tree = ReferenceTree(count: 7)
        let proofs = MerkleProofs(tree)
        let (a, c, d) = (tree.mth(0, 1), tree.mth(2, 3), tree.mth(3, 4))
        let (g, h, i, j, k, l) = (tree.mth(0, 2), tree.mth(2, 4), tree.mth(4, 6), tree.mth(6, 7), tree.mth(0, 4), tree.mth(4, 7))
        // The audit path of b (d1) is [a, h, l]; of d0 [b, h, l]; of d6 [i, k].
        #expect(try proofs.inclusionProof(index: 1, size: 7) == [a, h, l])
        #expect(try proofs.inclusionProof(index: 0, size: 7) == [tree.mth(1, 2), h, l])
        #expect(try proofs.inclusionProof(index: 6, size: 7) == [i, k])
        // PROOF(3, D[7]) = [c, d, g, l]; PROOF(4, D[7]) = [l]; PROOF(6, D[7]) = [i, j, k].
        #expect(try proofs.consistencyProof(from: 3, to: 7) == [c, d, g, l])
        #expect(try proofs.consistencyProof(from: 4, to: 7) == [l])
        #expect(try proofs.consistencyProof(from: 6, to: 7) == [i, j, k])
        #expect(try proofs.consistencyProof(from: 7, to: 7) == [])
    }

    @Test func everyProofUpTo300LeavesVerifiesAndAnyChangeBreaksIt() throws {
        let tree = ReferenceTree(count: 300)
        let proofs = MerkleProofs(tree)
        var checked = 0
        for size in 1...300 {
            let root = try proofs.root(size: size)
            for index in 0..<size {
                let proof = try proofs.inclusionProof(index: index, size: size)
                let leaf = MerkleHash.leaf(tree.leaves[index])
                #expect(MerkleVerification.verifyInclusion(leafHash: leaf, index: index, size: size, proof: proof, root: root))
                if size > 1, index == size / 2 {
                    #expect(!MerkleVerification.verifyInclusion(leafHash: leaf, index: (index + 1) % size, size: size, proof: proof, root: root))
                    var bent = proof
                    bent[bent.count - 1][0] ^= 1
                    #expect(!MerkleVerification.verifyInclusion(leafHash: leaf, index: index, size: size, proof: bent, root: root))
                }
                checked += 1
            }
            for from in 1...size {
                let proof = try proofs.consistencyProof(from: from, to: size)
                let first = try proofs.root(size: from)
                #expect(MerkleVerification.verifyConsistency(firstSize: from, firstRoot: first, secondSize: size, secondRoot: root, proof: proof))
                if from < size, from == size / 3 + 1 {
                    let other = MerkleHash.leaf(Data("forged".utf8))
                    #expect(!MerkleVerification.verifyConsistency(firstSize: from, firstRoot: other, secondSize: size, secondRoot: root, proof: proof))
                    #expect(!MerkleVerification.verifyConsistency(firstSize: from, firstRoot: first, secondSize: size, secondRoot: other, proof: proof))
                }
                checked += 1
            }
        }
        print("merkle: \(checked) inclusion and consistency proofs for every tree of 1 to 300 leaves verify in Swift")
    }

    /// Python's hashlib recomputes every root from the leaves and checks every proof with RFC 9162's
    /// verification algorithms, written out in the script: nothing of ours is used.
    @Test func pythonVerifiesEveryProofIndependently() async throws {
        let size = 300
        let tree = ReferenceTree(count: size)
        let proofs = MerkleProofs(StoredLikeTree(reference: tree))
        var inclusion: [[Any]] = []
        var consistency: [[Any]] = []
        var roots: [String] = []
        for n in 1...size {
            roots.append(try proofs.root(size: n).base64EncodedString())
            for m in 0..<n { inclusion.append([m, n, try proofs.inclusionProof(index: m, size: n).map { $0.base64EncodedString() }]) }
            for m in 1...n { consistency.append([m, n, try proofs.consistencyProof(from: m, to: n).map { $0.base64EncodedString() }]) }
        }
        let input = NSTemporaryDirectory() + "merkle-proofs-\(UUID().uuidString).json"
        let document: [String: Any] = [
            "leaves": tree.leaves.map { $0.base64EncodedString() }, "roots": roots, "inclusion": inclusion, "consistency": consistency,
        ]
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: input))
        defer { try? FileManager.default.removeItem(atPath: input) }
        let python = ProcessInfo.processInfo.environment["REGISTRY_PYTHON"] ?? "python3"
        let script = try #require(ProcessInfo.processInfo.environment["REGISTRY_ROOT"], "REGISTRY_ROOT is not set: run the tests with `make test`") + "/Tests/Fixtures/rfc9162_check.py"
        let check = try ChildProcess(executableURL: URL(fileURLWithPath: python), arguments: [script, input])
        let status = await check.waitForExit(timeout: .seconds(120))
        #expect(status == 0, "\(check.output)")
        #expect(check.output.contains("rfc9162: 45150 inclusion proofs, 45150 consistency proofs, 300 roots: all verified"), "\(check.output)")
        print(check.output.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// The reference tree seen through stored-tree folding: subtrees whose height is not a multiple
/// of ``StoredTree/stride`` are folded from the nearest stored level below, as the store does.
struct StoredLikeTree: SubtreeHashes {
    let reference: ReferenceTree

    func subtree(level: Int, index: Int) throws -> Data {
        let base = level - level % StoredTree.stride
        var hashes = (0..<(1 << (level - base))).map { reference.mth((index << (level - base) + $0) << base, (index << (level - base) + $0 + 1) << base) }
        while hashes.count > 1 { hashes = stride(from: 0, to: hashes.count, by: 2).map { MerkleHash.node(hashes[$0], hashes[$0 + 1]) } }
        return hashes[0]
    }
}
