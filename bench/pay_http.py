"""Benchmark: paying over HTTP against the same server's /healthz, under the same load.

Starts `commune serve` (release build, fresh SQLite in a temporary folder, durable settings:
WAL + synchronous=FULL), signs up N members and deposits money for each, then runs wrk with
identical threads, connections and duration against GET /healthz and against POST
/api/v1/payments (each request a payment from one member to the next with a fresh idempotency
id, cookie + CSRF authenticated, applied by the ledger engine and durably committed by the
ledger writer's group commit). Reports both throughputs, the ratio, p99 latencies and the mean
batch size from /metrics; then runs `commune verify` on the database. Loopback only; bounded
by --seconds. Asserts nothing.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vote_http import PASSWORD, call, login, wrk  # noqa: E402


def metric(text, name):
    match = re.search(rf"^{name} ([\d.e+]+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--commune", required=True)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--port", type=int, default=18094)
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite://{tmp}/bench.db"
        env = dict(os.environ, COMMUNE_LOG="warn")
        server = subprocess.Popen([args.commune, "serve", "--listen", f"127.0.0.1:{args.port}", "--database-url", url,
                                   "--client-rate-per-minute", "100000", "--metrics-token", "bench"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    call(base, "GET", "/healthz")
                    break
                except OSError:
                    time.sleep(0.1)
            call(base, "POST", "/api/v1/setup", {"commune_name": "Bench", "commune_slug": "bench", "handle": "root",
                                                  "display_name": "Root", "password": PASSWORD})
            root = login(base, "root")
            sessions = []
            for i in range(args.members):
                call(base, "POST", "/api/v1/members", {"handle": f"payer{i}", "display_name": f"Payer {i}", "password": PASSWORD})
                call(base, "POST", "/api/v1/deposits", {"to": f"payer{i}", "amount": "1000000.00"}, *root)
                sessions.append(login(base, f"payer{i}"))
            script = os.path.join(tmp, "pay.lua")
            lua_sessions = ",\n".join(f'{{"{c}", "{t}"}}' for c, t in sessions)
            with open(script, "w") as f:
                f.write(f"""
local sessions = {{ {lua_sessions} }}
local start_s = {int(time.time())}
local n = 0
local threads = 0
setup = function(thread) threads = threads + 1; thread:set("thread_no", threads) end
request = function()
  n = n + 1
  local i = n % #sessions
  local s = sessions[i + 1]
  -- Unique per thread and request: the thread number, the run's start time, a counter.
  local id = string.format("%08x%08x%016x", thread_no, start_s, n)
  local body = string.format('{{"id":"%s","to":"payer%d","amount_minor":1}}', id, (i + 1) % #sessions)
  return wrk.format("POST", "/api/v1/payments",
    {{ ["Content-Type"] = "application/json", ["Cookie"] = s[1], ["X-CSRF-Token"] = s[2] }}, body)
end
""")
            health_rps, health_p99, health_bad = wrk(args, base + "/healthz")
            pay_rps, pay_p99, pay_bad = wrk(args, base + "/", script)
            metrics = urllib.request.Request(base + "/metrics", headers={"Authorization": "Bearer bench"})
            text = urllib.request.urlopen(metrics).read().decode()
            batches = metric(text, "commune_ledger_batch_transfers_count")
            transfers = metric(text, "commune_ledger_batch_transfers_sum")
            print(f"load: wrk -t{args.threads} -c{args.connections} -d{args.seconds}s on loopback; SQLite WAL, synchronous=FULL")
            print(f"/healthz        {health_rps:10.0f} req/s   p99 {health_p99:>8}   non-2xx {health_bad}")
            print(f"pay             {pay_rps:10.0f} req/s   p99 {pay_p99:>8}   non-2xx {pay_bad}")
            print(f"ratio: paying runs at {100 * pay_rps / health_rps:.1f}% of /healthz throughput;"
                  f" {transfers:.0f} transfers in {batches:.0f} ledger batches ({transfers / max(batches, 1):.1f} per batch)")
        finally:
            server.terminate()
            server.wait(timeout=30)
        verify = subprocess.run([args.commune, "verify", "--database-url", url], capture_output=True, text=True)
        print(verify.stdout.strip().splitlines()[-1] if verify.stdout.strip() else verify.stderr)
        print(json.dumps({"healthz_rps": health_rps, "healthz_p99": health_p99, "pay_rps": pay_rps, "pay_p99": pay_p99,
                          "ratio": pay_rps / health_rps, "pay_errors": pay_bad,
                          "mean_batch": transfers / max(batches, 1), "verify_ok": verify.returncode == 0}))
        return 1 if pay_bad or verify.returncode else 0


if __name__ == "__main__":
    sys.exit(main())
