#!/usr/bin/env python3
# What random versus time-ordered event ids cost a unique index in SQLite, as the table grows.
#
#   python3 bench/sqlite-id-order.py v4|v7 [rows]      (default 600000)
#
# Rows shaped like notification's notification_event (event_id UNIQUE, a 1 KB body), 500 per
# transaction, WAL with synchronous=NORMAL, a 16 MiB page cache and a checkpoint every 8,000 pages,
# as the services configure SQLite. Prints the CPU seconds of each 100,000 rows: with random
# (version 4) ids they grow with the index; with version 7 ids (time first) they stay flat.
# Uses the same system SQLite as the services (GRDB links libsqlite3).
import os, resource, sqlite3, sys, tempfile, time, uuid

kind = sys.argv[1] if len(sys.argv) > 1 else "v4"
rows_total = int(sys.argv[2]) if len(sys.argv) > 2 else 600_000
if kind not in ("v4", "v7"):
    sys.exit("usage: sqlite-id-order.py v4|v7 [rows]")
batch = 500
directory = tempfile.mkdtemp(prefix="sqlite-id-order-")
db = sqlite3.connect(os.path.join(directory, "events.sqlite"), isolation_level=None)
for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-16384", "wal_autocheckpoint=8000"):
    db.execute("PRAGMA " + pragma)
db.execute("""CREATE TABLE notification_event (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL, change TEXT, katos TEXT NOT NULL, iin TEXT, order_key TEXT NOT NULL, time_ms INTEGER NOT NULL, body BLOB NOT NULL)""")
db.execute("CREATE INDEX notification_event_by_time ON notification_event (time_ms)")
body = os.urandom(1000)


def v7(ms):
    """A version 7 UUID: 48 bits of milliseconds, version, 74 random bits with the variant."""
    r = int.from_bytes(os.urandom(10), "big")
    bits = (ms << 80) | (0x7 << 76) | (((r >> 64) & 0xFFF) << 64) | (0b10 << 62) | (r & ((1 << 62) - 1))
    return str(uuid.UUID(int=bits))


def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


start_ms = int(time.time() * 1000)
last = cpu()
for first in range(0, rows_total, batch):
    rows = []
    for n in range(first, first + batch):
        at = start_ms + n // 2  # about 2,000 events a second
        event_id = (str(uuid.uuid4()) if kind == "v4" else v7(at)) + ":changed"
        rows.append((event_id, "change", "moved", "711410000", "860101300126", "860101300126", at, body))
    db.execute("BEGIN")
    db.executemany("INSERT INTO notification_event (event_id, kind, change, katos, iin, order_key, time_ms, body) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING", rows)
    db.execute("COMMIT")
    if (first + batch) % 100_000 == 0:
        now = cpu()
        print(f"{kind} {first + batch:>9,} rows: {now - last:5.2f} CPU s for the last 100,000", flush=True)
        last = now
db.close()
for name in os.listdir(directory):
    os.remove(os.path.join(directory, name))
os.rmdir(directory)
