#!/usr/bin/env python3
"""Commune's webhooks, received and verified by the Python `standardwebhooks` package.

Starts `commune serve` on a fresh SQLite database with `--webhook-allow 127.0.0.1/32` (so a
receiver on this machine is a permitted destination), runs a receiver on loopback whose every
request is checked with `standardwebhooks.Webhook(secret).verify(body, headers)`, subscribes it
to `member.admitted` and `invoice.created`, and then:

  * admits members and makes payment requests: each event arrives once, verified;
  * the receiver answers 500 to the first delivery: it arrives again (same `webhook-id`) after
    the first retry, verified;
  * the secret is rotated: the next messages verify with the new secret and with the old one;
  * a message signed with a wrong secret, or replayed with a stale timestamp, fails verification
    (the reference refuses what it should, so its acceptances mean something).

Exits non-zero on any failure.
"""

import argparse
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import requests
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

PASSWORD = "correct horse battery"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver(http.server.BaseHTTPRequestHandler):
    got = []
    fail_first = 1
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
        headers = {k.lower(): v for k, v in self.headers.items()}
        with Receiver.lock:
            Receiver.got.append((headers, body))
            status = 500 if Receiver.fail_first > 0 else 204
            Receiver.fail_first -= 1
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--commune", required=True)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="commune-webhooks-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(os.path.join(work, "server.log"), "w")
    server = subprocess.Popen(
        [args.commune, "serve", "--listen", f"127.0.0.1:{port}", "--database-url", f"sqlite://{work}/c.db",
         "--webhook-allow", "127.0.0.1/32"], stdout=log, stderr=subprocess.STDOUT)
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hook_url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks"
    failures = []

    def check(name, ok, detail=""):
        print(f"{'ok  ' if ok else 'FAIL'} {name}{(' — ' + detail) if detail else ''}", flush=True)
        if not ok:
            failures.append(name)

    try:
        for _ in range(300):
            try:
                if requests.get(base + "/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.1)

        def call(session, method, path, body=None, csrf=None):
            r = session.request(method, base + path, json=body, headers={"X-CSRF-Token": csrf} if csrf else {})
            if r.status_code >= 400:
                raise SystemExit(f"{method} {path}: {r.status_code} {r.text}")
            return r.json() if r.text else None

        def login(handle):
            s = requests.Session()
            return s, call(s, "POST", "/api/v1/sessions", {"handle": handle, "password": PASSWORD})["csrf_token"]

        anon = requests.Session()
        call(anon, "POST", "/api/v1/setup", {"commune_name": "W", "commune_slug": "root", "handle": "root",
                                             "display_name": "Root", "password": PASSWORD})
        for h in ["ada", "bob", "cleo", "dan"]:
            call(anon, "POST", "/api/v1/members", {"handle": h, "display_name": h.title(), "password": PASSWORD})
        ada, ada_csrf = login("ada")
        call(ada, "POST", "/api/v1/orgs", {"slug": "bakery", "name": "Bakery", "kind": "business"}, ada_csrf)
        made = call(ada, "POST", "/api/v1/orgs/bakery/webhooks",
                    {"url": hook_url, "events": ["member.admitted", "invoice.created"]}, ada_csrf)
        endpoint, secret = made["endpoint"]["id"], made["secret"]

        def admit(handle):
            s, csrf = login(handle)
            req = call(s, "POST", "/api/v1/orgs/bakery/join-requests", {}, csrf)
            call(ada, "POST", f"/api/v1/orgs/bakery/join-requests/{req['id']}/admit", None, ada_csrf)

        def wait_for(count, seconds):
            deadline = time.time() + seconds
            while time.time() < deadline:
                with Receiver.lock:
                    if len(Receiver.got) >= count:
                        return True
                time.sleep(0.2)
            return False

        def verifies(headers, body, key):
            try:
                Webhook(key).verify(body, headers)
                return True
            except WebhookVerificationError:
                return False

        admit("bob")
        # The first delivery fails (500); the retry comes after 5 s ± 20 %.
        check("the first attempt arrives", wait_for(1, 15))
        check("the retry arrives after the failure", wait_for(2, 20))
        (h1, b1), (h2, b2) = Receiver.got[0], Receiver.got[1]
        check("a retry keeps its webhook-id", h1["webhook-id"] == h2["webhook-id"], h1["webhook-id"])
        check("standardwebhooks verifies the delivery", verifies(h2, b2, secret))
        event = json.loads(b2)
        check("the payload is the documented member.admitted event",
              event["type"] == "member.admitted" and event["data"]["member"] == "bob" and event["data"]["org"] == "bakery",
              b2)
        check("a wrong secret does not verify", not verifies(h2, b2, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        stale = dict(h2, **{"webhook-timestamp": str(int(h2["webhook-timestamp"]) - 3600)})
        check("a stale timestamp does not verify", not verifies(stale, b2, secret))
        tampered = b2.replace("bob", "eve")
        check("a changed body does not verify", not verifies(h2, tampered, secret))

        # Rotation: both secrets verify the next messages.
        new_secret = call(ada, "POST", f"/api/v1/orgs/bakery/webhooks/{endpoint}/secret", None, ada_csrf)["secret"]
        admit("cleo")
        check("the message after a rotation arrives", wait_for(3, 15))
        h3, b3 = Receiver.got[2]
        check("it verifies with the new secret", verifies(h3, b3, new_secret))
        check("and with the old one, during the rotation", verifies(h3, b3, secret))

        # Another event type: a payment request to the bakery is an invoice it receives.
        dan, dan_csrf = login("dan")
        call(dan, "POST", "/api/v1/payment-requests", {"payer": "bakery", "amount": "12.50", "memo": "flour"}, dan_csrf)
        check("invoice.created arrives", wait_for(4, 15))
        h4, b4 = Receiver.got[3]
        invoice = json.loads(b4)
        check("it verifies and carries the amount", verifies(h4, b4, new_secret) and invoice["data"]["amount"] == "12.50", b4)

        log_rows = call(ada, "GET", f"/api/v1/orgs/bakery/webhooks/{endpoint}/messages")
        statuses = sorted(m["status"] for m in log_rows)
        check("the delivery log shows every message delivered", statuses == ["delivered"] * 3, str(statuses))
        ids = [h["webhook-id"] for h, _ in Receiver.got]
        check("each event was delivered once (one retry aside)", len(set(ids)) == 3, str(ids))
    finally:
        server.terminate()
        server.wait(timeout=30)
        receiver.shutdown()
    leaks = [line for line in open(os.path.join(work, "server.log")) if "whsec_" in line]
    check("no webhook secret in the server log", not leaks)
    shutil.rmtree(work, ignore_errors=True)
    print(f"\n{'all checks passed' if not failures else f'{len(failures)} failed'} (standardwebhooks verified every delivery)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
