#!/usr/bin/env python3
"""Fails when a log holds personal data: any IIN or name that the run's events carried.

    registryctl tail TOPIC --raw --reveal ... | scripts/personal-data-scan.py LOGFILE

Reads the run's CloudEvents (one JSON per line) on standard input, collects every IIN (12 digits
in `iin`, `ownerIin`, `owners`, `subjects`) and every name (`surname`, `givenName`, `patronymic`),
and looks for each in LOGFILE. Masked IINs (`860101****26`) are fine; whole ones are not.
"""
import json
import sys


def collect(value, iins, names):
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("iin", "ownerIin") and isinstance(item, str) and len(item) == 12 and item.isdigit():
                iins.add(item)
            elif key in ("owners", "subjects") and isinstance(item, list):
                iins.update(i for i in item if isinstance(i, str) and len(i) == 12 and i.isdigit())
            elif key in ("surname", "givenName", "patronymic") and isinstance(item, str) and len(item) >= 3:
                names.add(item)
            else:
                collect(item, iins, names)
    elif isinstance(value, list):
        for item in value:
            collect(item, iins, names)


def main(path):
    iins, names = set(), set()
    for line in sys.stdin:
        line = line.strip()
        if line.startswith("{"):
            try:
                collect(json.loads(line), iins, names)
            except json.JSONDecodeError:
                pass
    log = open(path, encoding="utf-8", errors="replace").read()
    lines = log.count("\n")
    leaks = [f"IIN {iin[:6]}****{iin[-2:]}" for iin in sorted(iins) if iin in log]
    leaks += [f"name {name[0]}…" for name in sorted(names) if name in log]
    print(f"personal data in logs: looked for {len(iins)} IINs and {len(names)} names in {lines} log lines: {len(leaks)} found")
    for leak in leaks[:20]:
        print(f"  LEAK {leak}")
    if not iins or not names:
        print("  the run carried no IINs or names: nothing was checked")
        return 1
    return 1 if leaks else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
