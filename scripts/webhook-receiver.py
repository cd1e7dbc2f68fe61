#!/usr/bin/env python3
"""An agency's webhook receiver for address-registry, as an example to copy.

Checks each delivery's Standard Webhooks signature (HMAC-SHA256 over "id.timestamp.body"),
refuses stale timestamps, ignores repeats by webhook-id (retries and replays re-send the same
id), and prints the change. Standard library only.

    WEBHOOK_SECRET=whsec_... scripts/webhook-receiver.py [PORT]   (default 9000)
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = os.environ["WEBHOOK_SECRET"]
KEY = base64.b64decode(SECRET[len("whsec_"):]) if SECRET.startswith("whsec_") else SECRET.encode()
TOLERANCE_SECONDS = 300
seen = set()


def verified(headers, body):
    """True when one of the v1 signatures is ours and the timestamp is recent."""
    msg_id, timestamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "0")
    if abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(KEY, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(candidate[3:], expected)
        for candidate in headers.get("webhook-signature", "").split()
        if candidate.startswith("v1,")
    )


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        if not verified(self.headers, body):
            self.send_response(401)
            self.end_headers()
            print("refused: bad signature or stale timestamp", flush=True)
            return
        msg_id = self.headers["webhook-id"]
        if msg_id not in seen:
            seen.add(msg_id)
            event = json.loads(body)
            data = event["data"]
            where = (data.get("address") or {}).get("rca")
            what = data.get("change") or event["type"]
            print(f"verified {msg_id}: {event['type']} {what} iin={data.get('iin')} rca={where}", flush=True)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9000
    print(f"listening on http://127.0.0.1:{port}/", flush=True)
    ThreadingHTTPServer(("127.0.0.1", port), Receiver).serve_forever()
