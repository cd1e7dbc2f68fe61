#!/usr/bin/env python3
"""Checks an audit store with nothing of the registry's code: Python's hashlib, sqlite3 and
cryptography against the format the docs describe (docs/architecture.md, "The audit log").

  scripts/audit_tree_check.py STORE [--verifier '<name>+<hash>+<base64>']

Recomputes the RFC 9162 tree over every record (leaf i = the canonical JSON of record idx i),
compares its root with every checkpoint (and the checkpoint's signed note with its key), and
compares the subject index with the subjects the records name. Exits 0 when all agree, 1 when
not, naming the first disagreements.
"""
import argparse
import base64
import hashlib
import json
import sqlite3
import sys


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


class Frontier:
    """The complete subtrees on the right edge of a growing tree, largest first."""

    def __init__(self):
        self.size = 0
        self.stack = []  # (height, hash)

    def append(self, h):
        height = 0
        while self.stack and self.stack[-1][0] == height:
            _, left = self.stack.pop()
            h = node_hash(left, h)
            height += 1
        self.stack.append((height, h))
        self.size += 1

    def root(self):
        if not self.stack:
            return hashlib.sha256(b"").digest()
        h = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            h = node_hash(left, h)
        return h


def verifier_key(text):
    name, key_hash, material = text.strip().split("+", 2)  # base64 may hold "+"
    raw = base64.b64decode(material)
    if raw[0] != 1 or len(raw) != 33:
        raise ValueError("not an Ed25519 note key")
    if hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex() != key_hash:
        raise ValueError("the key hash does not match the key")
    return name, bytes.fromhex(key_hash), raw[1:]


def note_ok(note, key, size, root):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.exceptions import InvalidSignature
    name, key_hash, public = key
    text, _, signatures = note.partition("\n\n")
    text += "\n"
    if text != f"{name}\n{size}\n{base64.b64encode(root).decode()}\n":
        return False
    for line in signatures.strip("\n").split("\n"):
        dash, signer, blob = line.split(" ")
        sig = base64.b64decode(blob)
        if dash == "\u2014" and signer == name and sig[:4] == key_hash:
            try:
                Ed25519PublicKey.from_public_bytes(public).verify(sig[4:], text.encode())
                return True
            except InvalidSignature:
                return False
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store")
    parser.add_argument("--verifier", help="the checkpoints' note verifier key")
    args = parser.parse_args()
    key = verifier_key(args.verifier) if args.verifier else None
    db = sqlite3.connect(f"file:{args.store}?mode=ro", uri=True)
    checkpoints = db.execute("SELECT size, root, note FROM audit_checkpoint ORDER BY size").fetchall()
    problems = []
    frontier = Frontier()
    named = set()
    pending = list(checkpoints)
    for idx, record in db.execute("SELECT idx, record FROM audit_record ORDER BY idx"):
        if idx != frontier.size:
            problems.append(f"record {frontier.size} is missing (next: {idx})")
            break
        frontier.append(leaf_hash(record))
        for subject in json.loads(record)["subjects"]:
            named.add((subject, idx))
        while pending and pending[0][0] == frontier.size:
            size, root, note = pending.pop(0)
            computed = frontier.root()
            if root != computed:
                problems.append(f"checkpoint {size}: stored root differs from the recomputed tree")
            if key and not note_ok(note, key, size, computed):
                problems.append(f"checkpoint {size}: the signed note is not the recomputed root signed by the key")
    for size, _, _ in pending:
        problems.append(f"checkpoint {size}: beyond the {frontier.size} records")
    indexed = set(db.execute("SELECT subject, idx FROM audit_subject").fetchall())
    if indexed != named:
        missing, extra = sorted(named - indexed, key=lambda p: p[1]), sorted(indexed - named, key=lambda p: p[1])
        if missing:
            problems.append(f"subject index: {len(missing)} row(s) missing, first at record {missing[0][1]}")
        if extra:
            problems.append(f"subject index: {len(extra)} row(s) no record names, first at record {extra[0][1]}")
    signatures = "signatures checked" if key else "signatures not checked"
    summary = f"{frontier.size} records, {len(checkpoints)} checkpoints ({signatures}), {len(indexed)} subject rows"
    if problems:
        for problem in problems[:20]:
            print(f"audit-tree-check: {problem}")
        print(f"audit-tree-check: {summary}: INVALID")
        sys.exit(1)
    print(f"audit-tree-check: {summary}, root {base64.b64encode(frontier.root()).decode()}: valid")


if __name__ == "__main__":
    main()
