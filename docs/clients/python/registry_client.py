#!/usr/bin/env python3
"""A client of the address registry for agencies, to copy and adapt. Python 3.9+, standard library only.

It does what an agency's system does with the registry:

  * calls the HTTP APIs with its bearer token and the legal ground of each request (X-Purpose);
  * looks people up (registration now or on a date, history, batch lookup, residents);
  * subscribes a webhook to address changes and follows its deliveries;
  * receives webhooks, checking each one's signature (Standard Webhooks: HMAC-SHA256 over
    "<webhook-id>.<webhook-timestamp>.<body>"), refusing stale ones and dropping repeats.

As a library:

    from registry_client import RegistryClient, verify_webhook
    client = RegistryClient(token, purpose="school enrolment", index="https://index.registry.example")
    client.registration("010310600175")

As a command (settings from the environment: REGISTRY_TOKEN, REGISTRY_PURPOSE,
REGISTRY_INTAKE_URL, REGISTRY_INDEX_URL, REGISTRY_NOTIFICATION_URL, REGISTRY_AUDIT_URL,
WEBHOOK_SECRET):

    registry_client.py lookup IIN [--at YYYY-MM-DD]
    registry_client.py history IIN
    registry_client.py batch IIN...
    registry_client.py residents RCA
    registry_client.py subscribe URL [--change C]... [--kato PREFIX]... [--iin IIN]... [--alerts]
    registry_client.py deliveries SUBSCRIPTION [--status delivered|retrying|dead|pending]
    registry_client.py replay SUBSCRIPTION SINCE
    registry_client.py receive PORT         (a webhook receiver that prints each verified change)

The token comes from your identity provider in production. For a development stack signed with a
shared secret, development_token() mints one (never use that secret in production).
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["RegistryClient", "RegistryError", "verify_webhook", "WebhookError", "webhook_receiver", "development_token"]


class RegistryError(Exception):
    """An answer other than 2xx: the registry's RFC 9457 problem details."""

    def __init__(self, status, problem):
        self.status = status
        self.problem = problem
        self.title = problem.get("title", "")
        self.detail = problem.get("detail", "")
        super().__init__(f"{status} {self.title}: {self.detail}".rstrip(": "))


class RegistryClient:
    """The four HTTP APIs with one token. `purpose` is sent as X-Purpose, which every agency
    request must carry (3 to 200 characters: the legal ground of the request)."""

    def __init__(self, token, purpose=None, intake="http://localhost:8081", index="http://localhost:8082",
                 notification="http://localhost:8083", audit="http://localhost:8084", timeout=10):
        self.token, self.purpose, self.timeout = token, purpose, timeout
        self.urls = {"intake": intake, "index": index, "notification": notification, "audit": audit}

    def request(self, method, service, path, body=None, query=None):
        """Sends one request; returns the decoded JSON answer (None for 204), raises RegistryError.
        A 429 or 503 with Retry-After is retried once after the time it names (at most 30 s)."""
        url = self.urls[service].rstrip("/") + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if self.purpose:
            headers["X-Purpose"] = self.purpose
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            try:
                with urllib.request.urlopen(urllib.request.Request(url, data, headers, method=method), timeout=self.timeout) as answer:
                    payload = answer.read()
                    return json.loads(payload) if payload else None
            except urllib.error.HTTPError as error:
                payload = error.read()
                retry_after = error.headers.get("Retry-After")
                if attempt == 1 and error.code in (429, 503) and retry_after and retry_after.isdigit() and int(retry_after) <= 30:
                    time.sleep(int(retry_after))
                    continue
                try:
                    problem = json.loads(payload)
                except ValueError:
                    problem = {"title": error.reason, "detail": payload.decode(errors="replace")}
                raise RegistryError(error.code, problem) from None

    # address-index
    def registration(self, iin, at=None):
        """The person's permanent and temporary registration, today or on the date `at` (YYYY-MM-DD)."""
        return self.request("GET", "index", f"/v1/persons/{iin}/registration", query={"at": at})

    def history(self, iin):
        """Every registration period of the person."""
        return self.request("GET", "index", f"/v1/persons/{iin}/history")

    def registrations(self, iins, at=None):
        """Up to 1,000 people at once (scope address:bulk)."""
        return self.request("POST", "index", "/v1/registrations:batch", body={"iins": list(iins), **({"at": at} if at else {})})

    def residents(self, rca):
        """Who is registered at a dwelling (scope residents:read)."""
        return self.request("GET", "index", f"/v1/addresses/{rca}/residents")

    def verify_certificate(self, certificate):
        """Asks the registry whether an electronic address certificate is valid and current."""
        return self.request("POST", "index", "/v1/certificates/verify", body={"certificate": certificate})

    # notification
    def subscribe(self, url, secret=None, changes=None, kato_prefixes=None, iins=None, alerts=None):
        """A webhook subscription (scope subscriptions:write). Without `secret` the registry
        generates one and returns it once, in the answer."""
        flt = {k: v for k, v in {"changes": changes, "katoPrefixes": kato_prefixes, "iins": iins, "alerts": alerts}.items() if v}
        delivery = {"type": "webhook", "url": url, **({"secret": secret} if secret else {})}
        return self.request("POST", "notification", "/v1/subscriptions", body={"filter": flt, "delivery": delivery})

    def subscriptions(self):
        return self.request("GET", "notification", "/v1/subscriptions")

    def unsubscribe(self, subscription):
        return self.request("DELETE", "notification", f"/v1/subscriptions/{subscription}")

    def deliveries(self, subscription, status=None):
        return self.request("GET", "notification", f"/v1/subscriptions/{subscription}/deliveries", query={"status": status})

    def replay(self, subscription, since):
        """Delivers again every matching change from `since` (RFC 3339) on."""
        return self.request("POST", "notification", f"/v1/subscriptions/{subscription}/replay", body={"since": since})


class WebhookError(Exception):
    """A delivery that must be refused (answer it with 401)."""


def verify_webhook(secret, headers, body, tolerance=300, now=None):
    """Checks a delivery and returns its CloudEvent. `secret` is the subscription's secret
    (`whsec_` + base64, or plain bytes), `headers` a mapping with case-insensitive or lower-case
    names, `body` the raw bytes. Raises WebhookError for a bad signature or a timestamp more than
    `tolerance` seconds away (a replayed capture)."""
    key = base64.b64decode(secret[len("whsec_"):]) if secret.startswith("whsec_") else secret.encode()
    get = headers.get
    message_id, timestamp = get("webhook-id") or "", get("webhook-timestamp") or ""
    if not message_id or not timestamp.isdigit():
        raise WebhookError("missing webhook-id or webhook-timestamp")
    if abs((now or time.time()) - int(timestamp)) > tolerance:
        raise WebhookError("stale timestamp")
    signed = f"{message_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    signatures = (get("webhook-signature") or "").split()
    if not any(s.startswith("v1,") and hmac.compare_digest(s[3:], expected) for s in signatures):
        raise WebhookError("bad signature")
    return json.loads(body)


def webhook_receiver(secret, handle, port, host="127.0.0.1"):
    """An HTTP server that verifies every delivery, answers 401 to bad ones, calls
    handle(webhook_id, event) once per webhook-id (retries and replays re-send the same id) and
    answers 204. Keep the ids in your database in a real receiver; here they are in memory."""
    seen = set()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            try:
                event = verify_webhook(secret, self.headers, body)
            except (WebhookError, ValueError) as error:
                self.send_response(401)
                self.end_headers()
                print(f"refused: {error}", flush=True)
                return
            webhook_id = self.headers["webhook-id"]
            if webhook_id not in seen:
                handle(webhook_id, event)
                seen.add(webhook_id)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    return ThreadingHTTPServer((host, port), Receiver)


def development_token(secret, role, sub, scope=None, org=None, ttl=3600):
    """An HS256 token for a development stack (REGISTRY_JWT_SECRET); production tokens come
    from the identity provider."""
    def part(value):
        return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).rstrip(b"=").decode()
    now = int(time.time())
    claims = {"sub": sub, "role": role, "iat": now, "exp": now + ttl, **({"scope": scope} if scope else {}), **({"org": org} if org else {})}
    signing_input = part({"alg": "HS256", "typ": "JWT"}) + "." + part(claims)
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()


def print_change(webhook_id, event):
    data = event.get("data") or {}
    where = (data.get("address") or {}).get("rca") or data.get("rca")
    what = data.get("change") or event.get("type")
    print(f"verified {webhook_id}: {event.get('type')} {what} iin={data.get('iin')} rca={where}", flush=True)


def main(arguments):
    parser = argparse.ArgumentParser(description="Address registry client for agencies (see the module docstring).")
    commands = parser.add_subparsers(dest="command", required=True)
    lookup = commands.add_parser("lookup", help="a person's registration")
    lookup.add_argument("iin")
    lookup.add_argument("--at", help="YYYY-MM-DD (default: today)")
    commands.add_parser("history", help="a person's registration periods").add_argument("iin")
    commands.add_parser("batch", help="up to 1,000 people").add_argument("iins", nargs="+")
    commands.add_parser("residents", help="who is registered at a dwelling").add_argument("rca")
    subscribe = commands.add_parser("subscribe", help="subscribe a webhook (WEBHOOK_SECRET signs it)")
    subscribe.add_argument("url")
    subscribe.add_argument("--change", action="append", help="registered, moved, deregistered, temporary-registered, temporary-ended")
    subscribe.add_argument("--kato", action="append", help="KATO prefix (region, district)")
    subscribe.add_argument("--iin", action="append", help="a watched IIN")
    subscribe.add_argument("--alerts", action="store_true", help="occupancy alerts too")
    deliveries = commands.add_parser("deliveries", help="a subscription's deliveries")
    deliveries.add_argument("subscription")
    deliveries.add_argument("--status")
    replay = commands.add_parser("replay", help="deliver again from a time on")
    replay.add_argument("subscription")
    replay.add_argument("since", help="RFC 3339")
    commands.add_parser("receive", help="run a webhook receiver (WEBHOOK_SECRET)").add_argument("port", type=int)
    args = parser.parse_args(arguments)
    env = os.environ

    if args.command == "receive":
        server = webhook_receiver(env["WEBHOOK_SECRET"], print_change, args.port)
        print(f"listening on http://127.0.0.1:{args.port}/", flush=True)
        server.serve_forever()
        return 0

    client = RegistryClient(
        env.get("REGISTRY_TOKEN") or sys.exit("set REGISTRY_TOKEN (a bearer token from your identity provider)"),
        purpose=env.get("REGISTRY_PURPOSE"),
        intake=env.get("REGISTRY_INTAKE_URL", "http://localhost:8081"), index=env.get("REGISTRY_INDEX_URL", "http://localhost:8082"),
        notification=env.get("REGISTRY_NOTIFICATION_URL", "http://localhost:8083"), audit=env.get("REGISTRY_AUDIT_URL", "http://localhost:8084"))
    try:
        if args.command == "lookup":
            answer = client.registration(args.iin, at=args.at)
        elif args.command == "history":
            answer = client.history(args.iin)
        elif args.command == "batch":
            answer = client.registrations(args.iins)
        elif args.command == "residents":
            answer = client.residents(args.rca)
        elif args.command == "subscribe":
            answer = client.subscribe(args.url, secret=env.get("WEBHOOK_SECRET"), changes=args.change, kato_prefixes=args.kato,
                                      iins=args.iin, alerts=args.alerts or None)
        elif args.command == "deliveries":
            answer = client.deliveries(args.subscription, status=args.status)
        else:
            answer = client.replay(args.subscription, args.since)
    except RegistryError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(json.dumps(answer, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
