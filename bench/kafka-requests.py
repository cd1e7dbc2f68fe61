#!/usr/bin/env python3
"""Counts the Kafka requests in a packet capture of the broker's port, by API and by client id.

    tcpdump -i lo -w idle.pcap 'tcp dst port 19392'; bench/kafka-requests.py idle.pcap SECONDS

Reads Kafka's framing (4-byte size, then api_key, api_version, correlation id, client id) from
the start of each segment the clients sent. Used to see which requests an idle
stack still sends (bench/idle-ab.sh CAPTURE=1).
"""
import struct
import sys
from collections import Counter

API = {0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 8: "OffsetCommit", 9: "OffsetFetch",
       10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat", 13: "LeaveGroup", 14: "SyncGroup",
       18: "ApiVersions", 22: "InitProducerId", 24: "AddPartitionsToTxn", 25: "AddOffsetsToTxn",
       26: "EndTxn", 28: "TxnOffsetCommit"}


def packets(path):
    data = open(path, "rb").read()
    little = data[:4] == b"\xd4\xc3\xb2\xa1"
    endian = "<" if little else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    offset = 24
    while offset + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[offset:offset + 16])
        frame = data[offset + 16:offset + 16 + caplen]
        offset += 16 + caplen
        # Linux cooked (113) or Ethernet (1) or null loopback (0)
        ip = frame[16:] if linktype == 113 else frame[14:] if linktype == 1 else frame[4:]
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
            continue
        ihl = (ip[0] & 15) * 4
        tcp = ip[ihl:]
        sport, dport, seq = struct.unpack(">HHI", tcp[:8])
        doff = (tcp[12] >> 4) * 4
        payload = tcp[doff:]
        if payload:
            yield sport, seq, payload


def main():
    path, seconds = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    by_api, by_client = Counter(), Counter()
    # Requests are small and written whole: each segment starts with a request (a segment that
    # continues a larger one does not parse as one and is skipped).
    for _, _, payload in packets(path):
        i = 0
        while i + 14 <= len(payload):
            size, key, version = struct.unpack(">iHH", payload[i:i + 8])
            if not (8 <= size <= 1_000_000 and key in API and version < 20):
                break
            client_len = struct.unpack(">h", payload[i + 12:i + 14])[0]
            client = payload[i + 14:i + 14 + max(min(client_len, 40), 0)].decode("ascii", "replace")
            by_api[API[key]] += 1
            by_client[(client, API[key])] += 1
            i += 4 + size
    for name, n in by_api.most_common():
        print(f"{name:>20}: {n / seconds:8.1f}/s")
    print("by client:")
    for (client, name), n in by_client.most_common(25):
        print(f"  {client:>28} {name:>16}: {n / seconds:8.1f}/s")


main()
