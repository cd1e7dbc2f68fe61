#!/usr/bin/env python3
"""Checks Merkle tree roots and proofs with RFC 9162 written out again, with hashlib only.

Input (JSON): leaves (base64), roots[n-1] = MTH of the first n leaves, inclusion [[m, n, path]],
consistency [[m, n, proof]]. Exits 1 on the first disagreement.
"""
import base64
import hashlib
import json
import sys


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves):  # RFC 9162 §2.1.1
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaf_hash(leaves[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def verify_inclusion(leaf, index, size, path, root):  # RFC 9162 §2.1.3.2
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_hash, second_hash, proof):  # RFC 9162 §2.1.4.2
    if first == second:
        return not proof and first_hash == second_hash
    if not proof:
        return False
    if first & (first - 1) == 0:
        proof = [first_hash] + proof
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0


def main():
    document = json.load(open(sys.argv[1]))
    b64 = base64.b64decode
    leaves = [b64(x) for x in document["leaves"]]
    roots = [mth(leaves[:n]) for n in range(1, len(leaves) + 1)]
    for n, given in enumerate(document["roots"], start=1):
        if b64(given) != roots[n - 1]:
            sys.exit(f"root of {n} leaves differs")
    for m, n, path in document["inclusion"]:
        if not verify_inclusion(leaf_hash(leaves[m]), m, n, [b64(p) for p in path], roots[n - 1]):
            sys.exit(f"inclusion proof of leaf {m} in {n} does not verify")
    for m, n, proof in document["consistency"]:
        if not verify_consistency(m, n, roots[m - 1], roots[n - 1], [b64(p) for p in proof]):
            sys.exit(f"consistency proof from {m} to {n} does not verify")
    print(f"rfc9162: {len(document['inclusion'])} inclusion proofs, {len(document['consistency'])} consistency proofs, "
          f"{len(roots)} roots: all verified")


if __name__ == "__main__":
    main()
