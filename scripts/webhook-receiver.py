#!/usr/bin/env python3
"""An agency's webhook receiver for address-registry, for the README's example.

Checks each delivery's Standard Webhooks signature (HMAC-SHA256 over "id.timestamp.body"),
refuses stale timestamps, ignores repeats by webhook-id (retries and replays re-send the same
id), and prints the change. The code is the example client's (docs/clients/python/
registry_client.py: verify_webhook, webhook_receiver), which an agency copies.

    WEBHOOK_SECRET=whsec_... scripts/webhook-receiver.py [PORT]   (default 9000)
"""
import os
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "docs/clients/python"))
from registry_client import print_change, webhook_receiver  # noqa: E402

if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9000
    server = webhook_receiver(os.environ["WEBHOOK_SECRET"], print_change, port)
    print(f"listening on http://127.0.0.1:{port}/", flush=True)
    server.serve_forever()
