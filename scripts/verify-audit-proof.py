#!/usr/bin/env python3
"""Checks that an audit entry is in the log a signed checkpoint covers, with nothing of the
registry's code: hashlib for RFC 9162's inclusion proof, cryptography for the Ed25519 note.

  verify-audit-proof.py CHECKPOINT VERIFIER ENTRY PROOF

CHECKPOINT is the note GET /v1/audit/checkpoint serves, VERIFIER the key of
GET /v1/audit/checkpoint/verifier, ENTRY the JSON of GET /v1/audit/entries/{index} and PROOF that
of GET /v1/audit/proof/inclusion?index={index}&size={the checkpoint's size} (all as files).
Exits 0 when the entry is leaf {index} of the signed tree, 1 otherwise.
"""
import base64
import hashlib
import json
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def main(checkpoint_file, verifier_file, entry_file, proof_file):
    # The verifier key: name+keyhash+base64(0x01 || Ed25519 public key).
    name, key_hash, material = open(verifier_file).read().strip().split("+", 2)  # base64 may hold "+"
    key = base64.b64decode(material)
    assert key[0] == 1 and hashlib.sha256(name.encode() + b"\n" + key).digest()[:4].hex() == key_hash
    # The note: three lines (origin, size, root), a blank line, "— name base64(keyhash || signature)".
    note = open(checkpoint_file).read()
    text, _, signature_line = note.partition("\n\n")
    dash, signer, blob = signature_line.strip().split(" ")
    signature = base64.b64decode(blob)
    assert dash == "\u2014" and signer == name and signature[:4].hex() == key_hash
    Ed25519PublicKey.from_public_bytes(key[1:]).verify(signature[4:], (text + "\n").encode())
    origin, size, root = text.split("\n")
    size, root = int(size), base64.b64decode(root)

    # RFC 9162 §2.1.3.2: walk from the leaf's hash to the root.
    entry, proof = json.load(open(entry_file)), json.load(open(proof_file))
    index = entry["index"]
    assert proof["index"] == index and proof["size"] == size
    r = hashlib.sha256(b"\x00" + base64.b64decode(entry["leaf"])).digest()
    fn, sn = index, size - 1
    for p in map(base64.b64decode, proof["hashes"]):
        assert sn > 0
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or r != root:
        sys.exit(f"entry {index} is NOT in the tree of {size} records signed by {name}")
    print(f"inclusion verified: entry {index} is leaf {index} of the {size} records {origin} signed")


if __name__ == "__main__":
    main(*sys.argv[1:5])
