#!/usr/bin/env python3
"""Benchmark: one Commune server on the primary alone against three servers behind HAProxy that
read from two streaming replicas, on the same pg_auto_failover formation (primary, synchronous
standby, asynchronous replica; see crosscheck/cluster_chaos.py), in one run.

Reads (wrk, the same threads, connections and duration for each): the docket
(GET /api/v1/docket), a proposal's page (GET /p/{id}) and a member's statement
(GET /api/v1/wallet/statement), each as members of the demo commune in turn. Writes: ranked
ballots (POST /api/v1/proposals/{id}/ballot) and payments of 0.01 with fresh ids
(POST /api/v1/payments). Every write waits for the synchronous standby.

Reports requests per second for each, the ratio cluster / single, the non-2xx counts, and
where the cluster's reads went (replica or primary).
Then the primary is killed (-9) and the time until the first payment sent after the kill is
acknowledged is reported: the failover time as a client sees it.

On a 2-core machine all seven processes share the same two cores, so the ratios here say
what the routing costs, not what more machines would add. Loopback only; every run is bounded by
--seconds. Asserts nothing but that no request failed.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crosscheck"))
from cluster_chaos import (Cluster, Http, formation, free_port, haproxy_config, replica_reads, replica_url,  # noqa: E402
                           wait_healthy)  # noqa: E402


def wrk(args, url, script):
    command = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{args.seconds}s", "-s", script, url]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=args.seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return rps, (int(bad.group(1)) if bad else 0) + (sum(map(int, errors.groups())) if errors else 0)


def lua(sessions, method, path, body=None, tag=""):
    rows = ",\n".join(f'{{"{c}", "{t}"}}' for c, t in sessions)
    body_expr = body if body else "nil"
    return f"""
local sessions = {{ {rows} }}
local n = 0
local threads = 0
setup = function(thread) threads = threads + 1; thread:set("thread_no", threads) end
request = function()
  n = n + 1
  local i = n % #sessions
  local s = sessions[i + 1]
  local a = n % 3
  local id = string.format("%s%04x%016x", "{tag}", thread_no or 0, n)
  local body = {body_expr}
  return wrk.format("{method}", "{path}", {{ ["Content-Type"] = "application/json", ["Cookie"] = s[1],
    ["X-CSRF-Token"] = s[2] }}, body)
end
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--commune", required=True)
    ap.add_argument("--members", type=int, default=30)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--seconds", type=int, default=10)
    args = ap.parse_args()
    commune = os.path.abspath(args.commune)
    work = tempfile.mkdtemp(prefix="commune-cluster-bench-")
    os.chmod(work, 0o755)
    if os.geteuid() == 0:
        shutil.chown(work, "postgres")
    cluster = Cluster(work)
    processes = []
    try:
        url = formation(cluster)
        key = os.path.join(work, "commune.key")
        env = dict(os.environ, COMMUNE_LOG="warn")
        single, trio = free_port(), [free_port() for _ in range(3)]
        for i, port in enumerate([single, *trio]):
            command = [commune, "serve", "--listen", f"127.0.0.1:{port}", "--database-url", url, "--key-file", key,
                       "--client-rate-per-minute", "100000", "--metrics-token", "bench"]
            if i == 0:
                command.append("--demo")
            else:
                for node in ("n2", "n3"):
                    command += ["--read-replica-url", replica_url(cluster, node)]
            log = open(os.path.join(work, f"commune{i}.log"), "w")
            processes.append(subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT))
            if not wait_healthy(f"http://127.0.0.1:{port}"):
                raise RuntimeError(f"server {i} did not start")
        front = free_port()
        config = os.path.join(work, "haproxy.cfg")
        with open(config, "w") as f:
            f.write(haproxy_config(front, trio))
        processes.append(subprocess.Popen(["haproxy", "-f", config, "-db"], stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
        wait_healthy(f"http://127.0.0.1:{front}", 20)

        ada = Http(f"http://127.0.0.1:{single}")
        ada.login("ada")
        _, members, _ = ada.call("GET", "/api/v1/orgs/neon-valley/members")
        _, proposals, _ = ada.call("GET", "/api/v1/orgs/neon-valley/proposals")
        ranked = [q for q in proposals if q["phase"] == "voting" and q["method"].get("method") == "ranked"][0]
        pid = ranked["id"]
        sessions = []
        for m in members[: args.members]:
            ada.call("POST", "/api/v1/deposits", {"to": m["handle"], "amount": "1000.00", "memo": "bench float"})
            client = Http(f"http://127.0.0.1:{single}")
            client.login(m["handle"])
            sessions.append((client.cookie, client.csrf))
        handles = [m["handle"] for m in members[: args.members]]

        ballot = 'string.format(\'{"kind":"ranked","ranking":[[%d],[%d],[%d]]}\', a, (a + 1) % 3, (a + 2) % 3)'
        cases = [
            ("read: docket", "GET", "/api/v1/docket", None),
            ("read: proposal page", "GET", f"/p/{pid}", None),
            ("read: statement", "GET", "/api/v1/wallet/statement", None),
            ("write: ballots", "POST", f"/api/v1/proposals/{pid}/ballot", ballot),
            ("write: payments", "POST", "/api/v1/payments", None),
        ]
        print(f"wrk -t{args.threads} -c{args.connections} -d{args.seconds}s on loopback; {len(sessions)} members; "
              "PostgreSQL primary + synchronous standby + asynchronous replica (pg_auto_failover)")
        print(f"{'':22} {'1 server':>12} {'3 servers + 2 replicas':>24} {'ratio':>7}  non-2xx")
        results = {}
        failed = 0
        for n, (name, method, path, body) in enumerate(cases):
            rates = []
            for k, base in enumerate([f"http://127.0.0.1:{single}", f"http://127.0.0.1:{front}"]):
                if path == "/api/v1/payments":
                    peers = "{" + ", ".join(f'"{h}"' for h in handles) + "}"
                    body = (f'string.format(\'{{"id":"%s","to":"%s","amount_minor":1}}\', '
                            f'id, ({peers})[((i + 1) % #sessions) + 1])')
                script = os.path.join(work, f"case{n}{k}.lua")
                with open(script, "w") as f:
                    f.write(lua(sessions, method, path, body, tag=f"{0xc0 + n:02x}{k:02x}bb00cafe"))
                rates.append(wrk(args, base + "/", script))
            (one, bad1), (many, bad2) = rates
            failed += bad1 + bad2
            results[name] = (one, many)
            print(f"{name:22} {one:10.0f}/s {many:22.0f}/s {many / one:7.2f}  {bad1} / {bad2}", flush=True)
        reads = replica_reads(trio, "bench")
        print(f"cluster reads: {reads['replica']} on a replica, {reads['primary']} on the primary")

        # Failover: kill -9 the primary (its keeper and PostgreSQL), then pay through the balancer
        # every 100 ms until a payment sent after the kill is acknowledged.
        payer = Http(f"http://127.0.0.1:{front}")
        payer.login(handles[0])
        killed = time.time()
        cluster.kill("n1")
        acknowledged = None
        while acknowledged is None and time.time() - killed < 120:
            try:
                status = payer.call("POST", "/api/v1/payments",
                                    {"id": str(uuid.uuid4()), "to": handles[1], "amount_minor": 1}, timeout=90)[0]
            except OSError:
                status = 0
            if 200 <= status < 300:
                acknowledged = time.time()
            else:
                time.sleep(0.1)
        if acknowledged is None:
            print("failover: no payment was acknowledged within 120 s of the kill")
            failed += 1
        else:
            print(f"failover: kill -9 of the primary → first acknowledged payment {acknowledged - killed:.1f} s "
                  "(monitor timeouts shortened as in the chaos test)")
        if failed:
            print(f"{failed} requests failed")
            sys.exit(1)
    finally:
        for p in processes:
            p.kill()
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
