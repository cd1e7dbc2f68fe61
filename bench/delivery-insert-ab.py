#!/usr/bin/env python3
# Interleaved A/B of notification's hot insert: storing an event and queueing its delivery, with
# the delivery table before and after it carried its event's source (migration
# notification-5-delivery-source: three columns, two partial indexes), and the source given as
# values or read back from the event row (INSERT ... SELECT). 100,000 events, one delivery each,
# WAL, 500 per transaction; CPU time of this process per event, three rounds.
# Run: python3 bench/delivery-insert-ab.py
import sqlite3, time, os, tempfile
SCHEMA = """
CREATE TABLE notification_event (seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, body BLOB NOT NULL,
  source_topic TEXT, source_partition INTEGER, source_offset INTEGER);
CREATE INDEX notification_event_by_source ON notification_event (source_topic, source_partition, source_offset);
CREATE TABLE delivery (id INTEGER PRIMARY KEY, subscription_id TEXT NOT NULL, event_seq INTEGER NOT NULL, order_key TEXT NOT NULL,
  status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, round_attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL,
  UNIQUE (subscription_id, event_seq));
CREATE INDEX delivery_due ON delivery (next_attempt_ms) WHERE status IN ('pending', 'retrying');
CREATE INDEX delivery_queue ON delivery (subscription_id, order_key, event_seq) WHERE status IN ('pending', 'retrying');
CREATE INDEX delivery_by_status ON delivery (subscription_id, status, id);
"""
NEW = """
ALTER TABLE delivery ADD COLUMN source_topic TEXT; ALTER TABLE delivery ADD COLUMN source_partition INTEGER; ALTER TABLE delivery ADD COLUMN source_offset INTEGER;
CREATE INDEX delivery_unfinished_by_source ON delivery (source_topic, source_partition, source_offset) WHERE status IN ('pending', 'retrying');
CREATE INDEX delivery_unfinished_by_event ON delivery (event_seq) WHERE status IN ('pending', 'retrying');
"""
NEW_VALUES = ("INSERT INTO delivery (subscription_id, event_seq, order_key, status, next_attempt_ms, source_topic, source_partition, source_offset) "
              "VALUES (?, ?, ?, 'pending', ?, ?, ?, ?) ON CONFLICT (subscription_id, event_seq) DO NOTHING")
OLD_INSERT = "INSERT INTO delivery (subscription_id, event_seq, order_key, status, next_attempt_ms) VALUES (?, ?, ?, 'pending', ?) ON CONFLICT (subscription_id, event_seq) DO NOTHING"
NEW_INSERT = ("INSERT INTO delivery (subscription_id, order_key, status, next_attempt_ms, event_seq, source_topic, source_partition, source_offset) "
              "SELECT ?, ?, 'pending', ?, seq, source_topic, source_partition, source_offset FROM notification_event WHERE seq = ? ON CONFLICT (subscription_id, event_seq) DO NOTHING")
N = 100_000
def run(variant):
    new = variant != "before"
    path = tempfile.mktemp(suffix=".sqlite")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA + (NEW if new else ""))
    body = b"x" * 600
    spent = 0.0
    for start in range(0, N, 500):
        db.execute("BEGIN")
        t = time.process_time()
        for i in range(start, start + 500):
            cur = db.execute("INSERT INTO notification_event (event_id, body, source_topic, source_partition, source_offset) VALUES (?, ?, 'address.changed.v1', ?, ?)", (f"e{i}", body, i % 6, i // 6))
            seq = cur.lastrowid
            if variant == "select": db.execute(NEW_INSERT, ("sub-1", f"k{i}", 0, seq))
            elif variant == "values": db.execute(NEW_VALUES, ("sub-1", seq, f"k{i}", 0, "address.changed.v1", i % 6, i // 6))
            else: db.execute(OLD_INSERT, ("sub-1", seq, f"k{i}", 0))
        spent += time.process_time() - t
        db.execute("COMMIT")
    db.close(); os.remove(path)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(path + suffix): os.remove(path + suffix)
    return spent / N * 1e6
for round in range(3):
    figures = {variant: run(variant) for variant in ("before", "values", "select")}
    print(f"round {round + 1}: " + ", ".join(f"{variant} {us:.1f} us" for variant, us in figures.items()) + " per event and delivery")
