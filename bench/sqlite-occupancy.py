#!/usr/bin/env python3
# What address-index's occupancy check costs in SQLite as dwellings fill up.
#
#   python3 bench/sqlite-occupancy.py [periods per dwelling ...]      (default 5 10 20 50 100)
#
# Each applied registration asks how many people are registered at its dwelling and whether the
# dwelling stands alerted. Before: COUNT(DISTINCT iin) over every open period of the dwelling,
# then a second statement for the flag. After: one statement that stops counting one above the
# threshold (10, so LIMIT 11); only an alert counts exactly. Tables and index as
# IndexMigrations creates them, 2,000 dwellings, a fifth of the periods closed. Prints the CPU
# microseconds per check (the better of two passes of 20,000 random dwellings each), Python's
# own cost per statement included.
# Uses the same system SQLite as the services (GRDB links libsqlite3).
import os, random, sqlite3, sys, tempfile, time

OLD = ["SELECT COUNT(DISTINCT iin) FROM index_period WHERE rca = ? AND (valid_to IS NULL OR valid_to > ?)",
       "SELECT alerted FROM index_occupancy WHERE rca = ?"]
NEW = """SELECT (SELECT COUNT(*) FROM (SELECT DISTINCT iin FROM index_period WHERE rca = ?1 AND (valid_to IS NULL OR valid_to > ?2) LIMIT ?3)),
                (SELECT alerted FROM index_occupancy WHERE rca = ?1)"""
DWELLINGS, CHECKS, DAY = 2_000, 20_000, "2026-11-24"


def measure(per_dwelling):
    db = sqlite3.connect(os.path.join(tempfile.mkdtemp(prefix="sqlite-occupancy-"), "index.sqlite"))
    db.executescript("""
        CREATE TABLE index_period (iin TEXT NOT NULL, sequence INTEGER NOT NULL, kind TEXT NOT NULL, rca TEXT NOT NULL,
          address BLOB NOT NULL, valid_from TEXT NOT NULL, valid_to TEXT, ends_by_expiry INTEGER NOT NULL DEFAULT 0,
          end_announced INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (iin, sequence)) WITHOUT ROWID;
        CREATE INDEX index_period_by_rca ON index_period (rca, valid_to);
        CREATE TABLE index_occupancy (rca TEXT PRIMARY KEY, alerted INTEGER NOT NULL) WITHOUT ROWID;""")
    rows = ((f"{d * per_dwelling + k:012d}", 1, "permanent", f"{d:013d}", b"x" * 200, "2026-01-01",
             "2026-06-01" if random.random() < 0.2 else None) for d in range(DWELLINGS) for k in range(per_dwelling))
    db.executemany("INSERT INTO index_period (iin, sequence, kind, rca, address, valid_from, valid_to) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    db.commit()
    dwellings = [f"{random.randrange(DWELLINGS):013d}" for _ in range(CHECKS)]

    def old(rca):
        db.execute(OLD[0], (rca, DAY)).fetchone()
        db.execute(OLD[1], (rca,)).fetchone()

    def new(rca):
        db.execute(NEW, (rca, DAY, 11)).fetchone()

    best = {}
    for name, check in [("old", old), ("new", new)] * 2:
        started = time.process_time()
        for rca in dwellings:
            check(rca)
        per_check = (time.process_time() - started) / CHECKS * 1e6
        best[name] = min(best.get(name, per_check), per_check)
    return best


random.seed(1)
print("| periods per dwelling | COUNT(DISTINCT) + flag, µs | one statement, LIMIT 11, µs |")
print("|---:|---:|---:|")
for per_dwelling in [int(a) for a in sys.argv[1:]] or [5, 10, 20, 50, 100]:
    best = measure(per_dwelling)
    print(f"| {per_dwelling} | {best['old']:.1f} | {best['new']:.1f} |", flush=True)
