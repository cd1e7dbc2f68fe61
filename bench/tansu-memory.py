#!/usr/bin/env python3
# How much memory the local broker (Tansu, in memory) keeps per message, and whether it can let
# go of messages already read: what bounds `SIZE=10000000 make bench` on this machine.
#
#   .venv/bin/python bench/tansu-memory.py [messages]      (default 2000000)
#
# Starts its own broker on a free port (scripts/broker.sh), produces `messages` of 539 bytes (the
# load generator's submission size) to 12 partitions and prints the broker's resident memory
# every 500,000.
# Then asks it to delete the first half of each partition (Kafka's DeleteRecords, the only way
# to free a topic's messages while its consumers' offsets stay valid) and prints the answer and
# the memory again.
import sys, time

from confluent_kafka import Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from local_broker import local_broker

total = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
partitions, step, value = 12, 500_000, b"x" * 539


def rss_mb():
    with open(f"/proc/{broker_pid}/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmRSS"))


# Tansu started as the tests start it; it answers before the block starts.
with local_broker("tansu-memory") as (bootstrap, broker_pid):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic("memory", partitions, 1)])["memory"].result()
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "batch.num.messages": 10_000})
    print(f"broker started: {rss_mb()} MB resident", flush=True)
    for produced in range(1, total + 1):
        while True:
            try:
                producer.produce("memory", partition=produced % partitions, value=value)
                break
            except BufferError:
                producer.poll(0.05)
        if produced % step == 0:
            producer.flush()
            print(f"{produced:,} messages of {len(value)} bytes: {rss_mb():,} MB resident", flush=True)
    producer.flush()
    half = total // partitions // 2
    try:
        answers = admin.delete_records([TopicPartition("memory", p, half) for p in range(partitions)], request_timeout=10)
        for partition, answer in answers.items():
            print(f"DeleteRecords {partition.partition}: {answer.result()}")
    except Exception as error:
        print(f"DeleteRecords refused: {error}")
    time.sleep(2)
    print(f"after DeleteRecords: {rss_mb():,} MB resident")
