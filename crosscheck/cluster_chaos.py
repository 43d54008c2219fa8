#!/usr/bin/env python3
"""Chaos test: Commune on a replicated PostgreSQL cluster, several servers behind HAProxy, and
kill -9 in the middle of the load. Loopback only; every wait and every loop is bounded.

The cluster (all Debian packages, run as the `postgres` user in a temporary folder):
  * pg_auto_failover (`postgresql-15-auto-failover`): a monitor, a primary `n1`, a synchronous
    standby `n2` (replication quorum, so `synchronous_standby_names = ANY 1 (...)` and
    `synchronous_commit = on`: a commit is acknowledged once `n2` has it) and an asynchronous
    replica `n3` (no quorum, never promoted). The monitor's health checks are shortened so a
    failover takes seconds, not the half-minute of its defaults.
  * three `commune serve` processes, each given the multi-host URL `pg_autoctl show uri` prints
    (`...@n1,n2,n3/commune?target_session_attrs=read-write`) and the same instance key file;
  * HAProxy in front of them (round robin, `/healthz` checks every 500 ms, retries on a refused
    connection).

The load: members of the demo commune, each its own client thread, through HAProxy, cast ranked
ballots on the demo's open vote, pay each other 0.01 with their own transfer id, and place holds
that expire after 1-2 s (the scheduler voids each one: an effect that must run exactly once).
A request that fails (connection reset, 502/503) is sent again with the same id until it is
acknowledged (bounded); every acknowledgement is recorded.

After each ballot the member reads it back with a GET, which the servers may serve from a replica
(`--read-replica-url` n2 and n3): it must be the ballot just cast (read-your-writes).

Then:
  1. kill -9 the primary's whole process group (its pg_autoctl keeper and PostgreSQL) mid-load;
     the monitor promotes `n2`; the failover time is kill → first acknowledged write;
  2. kill -9 one Commune server mid-load: its clients go on through the others.

Checked afterwards, on the new primary:
  * every acknowledged payment and hold is in the ledger, and no transfer of the load exists that
    was not acknowledged;
  * each member's ballot is the last one acknowledged to them;
  * every hold was voided by the scheduler exactly once (one void per pending transfer) and no
    scheduler step appears twice in the audit log;
  * `commune verify` passes on the new primary (the audit chain, and every balance re-derived
    from the ledger's history).

Exits non-zero on any failure; prints the failover time and what each kill showed.
"""

import argparse
import glob
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

PASSWORD = "commune-demo"
PREFIX = "c4a05"  # every transfer id of the load starts with these hex digits


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bin():
    if shutil.which("pg_autoctl") is None:
        sys.exit("pg_autoctl is missing: apt-get install postgresql-15-auto-failover")
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    return os.path.dirname(found[-1])


class Cluster:
    """A pg_auto_failover formation on loopback, run as the postgres user."""

    def __init__(self, work):
        self.work = work
        self.bin = pg_bin()
        self.env = dict(os.environ, PATH=f"{self.bin}:{os.environ['PATH']}", PG_AUTOCTL_DEBUG="")
        self.procs = {}
        self.ports = {}

    def as_postgres(self, args):
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return prefix + ["env", f"PATH={self.env['PATH']}"] + args

    def run(self, args, **kw):
        return subprocess.run(self.as_postgres(args), env=self.env, capture_output=True, text=True, timeout=120, **kw)

    def spawn(self, name, args):
        log = open(os.path.join(self.work, f"{name}.log"), "w")
        self.procs[name] = subprocess.Popen(self.as_postgres(args), env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def psql(self, port, sql, db="postgres", user="postgres"):
        out = self.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", user, "-d", db, "-Atqc", sql])
        if out.returncode != 0:
            raise RuntimeError(f"psql on {port}: {out.stderr.strip()}")
        return out.stdout.strip()

    def wait_ready(self, port, seconds=60):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(port)]).returncode == 0:
                return
            time.sleep(0.3)
        raise RuntimeError(f"PostgreSQL on {port} did not start")

    def start_monitor(self):
        port = self.ports["monitor"] = free_port()
        pgdata = os.path.join(self.work, "monitor")
        made = self.run(["pg_autoctl", "create", "monitor", "--pgdata", pgdata, "--pgport", str(port),
                         "--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl"])
        if made.returncode != 0:
            raise RuntimeError("pg_autoctl create monitor: " + made.stderr[-2000:])
        self.spawn("monitor", ["pg_autoctl", "run", "--pgdata", pgdata])
        self.wait_ready(port)
        # Seconds instead of pg_auto_failover's defaults (5 s checks, 20 s until unhealthy, 30 s
        # for a lost primary to demote itself): the test measures Commune, not the timeouts.
        for name, value in [("health_check_period", 1000), ("health_check_timeout", 1000),
                            ("health_check_max_retries", 1), ("health_check_retry_delay", 500),
                            ("node_considered_unhealthy_timeout", 3000), ("primary_demote_timeout", 3000)]:
            self.psql(port, f"ALTER SYSTEM SET pgautofailover.{name} = {value}", db="pg_auto_failover")
        self.psql(port, "SELECT pg_reload_conf()", db="pg_auto_failover")

    def add_node(self, name, extra=()):
        port = self.ports[name] = free_port()
        monitor = f"postgres://autoctl_node@127.0.0.1:{self.ports['monitor']}/pg_auto_failover?sslmode=disable"
        self.spawn(name, ["pg_autoctl", "create", "postgres", "--pgdata", os.path.join(self.work, name),
                          "--pgport", str(port), "--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl",
                          "--monitor", monitor, "--name", name, "--run", *extra])

    def state(self):
        out = self.run(["pg_autoctl", "show", "state", "--pgdata", os.path.join(self.work, "monitor"), "--json"])
        if out.returncode != 0:
            return {}
        try:
            return {n["nodename"]: (n["current_group_state"], n["assigned_group_state"]) for n in json.loads(out.stdout)}
        except (ValueError, KeyError, TypeError):
            return {}

    def wait_state(self, want, seconds=120):
        deadline = time.time() + seconds
        while time.time() < deadline:
            state = self.state()
            if all(state.get(n, ("", ""))[0] in s.split("|") and state[n][1] == state[n][0] for n, s in want.items()):
                return state
            time.sleep(0.5)
        raise RuntimeError(f"the formation did not reach {want}: {self.state()}")

    def kill(self, name):
        """kill -9 every process of a node: its keeper and its PostgreSQL (a lost machine)."""
        os.killpg(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait(timeout=10)

    def stop(self):
        for proc in self.procs.values():
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def formation(cluster):
    """Starts the monitor, the primary n1, the synchronous standby n2 and the asynchronous replica
    n3, and Commune's role and database; returns the multi-host URL Commune is given."""
    cluster.start_monitor()
    cluster.add_node("n1")
    cluster.wait_state({"n1": "single"})
    cluster.add_node("n2")
    cluster.wait_state({"n1": "primary", "n2": "secondary"})
    cluster.add_node("n3", ["--replication-quorum", "false", "--candidate-priority", "0"])
    cluster.wait_state({"n1": "primary", "n2": "secondary", "n3": "secondary"})
    p = cluster.ports
    cluster.psql(p["n1"], "CREATE ROLE commune LOGIN PASSWORD 'commune'")
    cluster.psql(p["n1"], "CREATE DATABASE commune OWNER commune")
    # pg_monitor lets Commune see pg_stat_replication, to say at start-up what a commit survives.
    cluster.psql(p["n1"], "GRANT pg_monitor TO commune")
    hosts = ",".join(f"127.0.0.1:{p[n]}" for n in ["n1", "n2", "n3"])
    return f"postgres://commune:commune@{hosts}/commune?target_session_attrs=read-write&sslmode=disable"


def replica_url(cluster, node):
    return f"postgres://commune:commune@127.0.0.1:{cluster.ports[node]}/commune?sslmode=disable"


def wait_healthy(base, seconds=180):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if Http(base).call("GET", "/healthz", timeout=2)[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def haproxy_config(front, ports):
    """HAProxy in front of Commune servers: round robin, /healthz checks, retries on a refused
    connection or an empty answer (a server that died mid-request)."""
    return f"""global
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    retries 3
    option redispatch
    retry-on conn-failure empty-response
frontend commune
    bind 127.0.0.1:{front}
    default_backend servers
backend servers
    balance roundrobin
    option httpchk GET /healthz
""" + "".join(f"    server c{i + 1} 127.0.0.1:{port} check inter 500 fall 2 rise 2\n" for i, port in enumerate(ports))


def replica_reads(ports, token):
    """Where the servers' reads went, summed from their /metrics: {"replica": n, "primary": m}."""
    total = {"replica": 0, "primary": 0}
    for port in ports:
        req = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            for line in r.read().decode().splitlines():
                for target in total:
                    if line.startswith(f'commune_replica_reads_total{{target="{target}"}}'):
                        total[target] += int(float(line.split()[-1]))
    return total


class Http:
    """A member's client: a session cookie and CSRF token, through the balancer."""

    def __init__(self, base):
        self.base = base
        self.jar = {}
        self.csrf = None

    @property
    def cookie(self):
        """The cookies a browser would send back: the session, and the position of the member's
        last write (`commune_read_after`, which keeps their reads from replicas behind it)."""
        return "; ".join(f"{k}={v}" for k, v in self.jar.items()) or None

    def keep_cookies(self, headers):
        for line in headers.get_all("Set-Cookie") or []:
            name, _, value = line.split(";")[0].partition("=")
            self.jar[name.strip()] = value.strip()

    def call(self, method, path, body=None, timeout=30):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.cookie:
            request.add_header("Cookie", self.cookie)
        if self.csrf:
            request.add_header("X-CSRF-Token", self.csrf)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                text = response.read().decode()
                self.keep_cookies(response.headers)
                return response.status, (json.loads(text) if text else None), response.headers
        except urllib.error.HTTPError as e:
            text = e.read().decode(errors="replace")
            try:
                return e.code, json.loads(text), e.headers
            except ValueError:
                return e.code, text, e.headers

    def login(self, handle):
        status, body, headers = self.call("POST", "/api/v1/sessions", {"handle": handle, "password": PASSWORD})
        if status not in (200, 201):
            raise RuntimeError(f"log-in of {handle}: {status} {body}")
        self.csrf = body["csrf_token"]


class Load:
    """Client threads; each acknowledgement is recorded with its time."""

    def __init__(self, base, handles, proposal, options, give_up_s):
        self.base, self.handles, self.proposal, self.options = base, handles, proposal, options
        self.give_up_s = give_up_s
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.paid, self.held, self.ballots, self.acks = set(), set(), {}, []
        self.retries, self.unacknowledged, self.errors = 0, [], []
        self.reads, self.stale = 0, []

    def send(self, client, method, path, body):
        """Sends until acknowledged (2xx), refused for good (4xx), or the bound passes."""
        started = time.time()
        while time.time() - started < self.give_up_s:
            sent = time.time()
            try:
                status, answer, _ = client.call(method, path, body)
            except (OSError, urllib.error.URLError):
                status, answer = None, None
            if status is not None and 200 <= status < 300:
                with self.lock:
                    self.acks.append((sent, time.time()))
                return answer
            if status is not None and 400 <= status < 500 and status != 429:
                with self.lock:
                    self.errors.append(f"{method} {path}: {status} {answer}")
                return None
            with self.lock:
                self.retries += 1
            time.sleep(0.2)
        with self.lock:
            self.unacknowledged.append((method, path, body))
        return None

    def member(self, i, handle):
        client = Http(self.base)
        client.login(handle)
        peer = self.handles[(i + 1) % len(self.handles)]
        rng = random.Random(i)
        while not self.stop.is_set():
            kind = rng.random()
            if kind < 0.4:
                first = rng.randrange(self.options)
                ranking = [[(first + k) % self.options] for k in range(self.options)]
                if self.send(client, "POST", f"/api/v1/proposals/{self.proposal}/ballot",
                             {"kind": "ranked", "ranking": ranking}) is not None:
                    with self.lock:
                        self.ballots[handle] = ranking
                    # Read your own write at once (a GET: it may be served by a replica).
                    try:
                        status, mine, _ = client.call("GET", f"/api/v1/proposals/{self.proposal}/ballot")
                    except OSError:
                        status, mine = None, None
                    if status == 200:
                        with self.lock:
                            self.reads += 1
                            if json.dumps(ranking) not in json.dumps(mine, sort_keys=True):
                                self.stale.append((handle, ranking, mine))
            elif kind < 0.85:
                tid = PREFIX + uuid.uuid4().hex[len(PREFIX):]
                if self.send(client, "POST", "/api/v1/payments",
                             {"id": tid, "to": peer, "amount": "0.01", "memo": "chaos"}) is not None:
                    with self.lock:
                        self.paid.add(tid)
            else:
                tid = PREFIX + uuid.uuid4().hex[len(PREFIX):]
                if self.send(client, "POST", "/api/v1/holds",
                             {"id": tid, "to": peer, "amount": "0.02", "memo": "chaos hold",
                              "timeout_s": rng.choice([1, 2])}) is not None:
                    with self.lock:
                        self.held.add(tid)
            time.sleep(rng.uniform(0.005, 0.03))

    def first_ack_after(self, t):
        """When the first write sent after `t` was acknowledged."""
        with self.lock:
            later = [acked for sent, acked in self.acks if sent > t]
        return min(later) if later else None

    def count_after(self, t):
        with self.lock:
            return sum(1 for sent, _ in self.acks if sent > t)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--commune", required=True)
    ap.add_argument("--members", type=int, default=12)
    ap.add_argument("--seconds", type=float, default=6, help="load before, between and after the kills")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    commune = os.path.abspath(args.commune)
    if shutil.which("haproxy") is None:
        sys.exit("haproxy is missing: apt-get install haproxy")
    work = tempfile.mkdtemp(prefix="commune-chaos-")
    os.chmod(work, 0o755)
    if os.geteuid() == 0:
        shutil.chown(work, "postgres")
    cluster = Cluster(work)
    servers, balancer = [], None
    failures = []

    def check(name, ok, detail=""):
        print(f"{'ok  ' if ok else 'FAIL'} {name}{(' — ' + str(detail)) if detail != '' else ''}", flush=True)
        if not ok:
            failures.append(name)

    try:
        t0 = time.time()
        url = formation(cluster)
        p = cluster.ports
        standby_names = cluster.psql(p["n1"], "SHOW synchronous_standby_names")
        check("the primary waits for a synchronous standby", standby_names.startswith("ANY 1"), standby_names)
        print(f"cluster up in {time.time() - t0:.1f} s: monitor {p['monitor']}, n1 {p['n1']} (primary), "
              f"n2 {p['n2']} (synchronous), n3 {p['n3']} (asynchronous)", flush=True)

        # Three Commune servers sharing the database and the instance key; the first loads the demo.
        key = os.path.join(work, "commune.key")
        ports = [free_port() for _ in range(3)]
        env = dict(os.environ, COMMUNE_LOG="warn,commune_store=warn")
        for i, port in enumerate(ports):
            log = open(os.path.join(work, f"commune{i + 1}.log"), "w")
            command = [commune, "serve", "--listen", f"127.0.0.1:{port}", "--database-url", url, "--key-file", key,
                       "--client-rate-per-minute", "100000", "--metrics-token", "chaos"]
            for replica in ["n2", "n3"]:
                command += ["--read-replica-url", replica_url(cluster, replica)]
            if i == 0:
                command.append("--demo")
            servers.append(subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True))
            if not wait_healthy(f"http://127.0.0.1:{port}"):
                raise RuntimeError(f"commune server {i + 1} did not start (see {work}/commune{i + 1}.log)")
        with open(os.path.join(work, "commune1.log")) as f:
            said = f.read()
        check("Commune says an acknowledged write survives the loss of the primary",
              "loss of the primary" in said and "survives" in said,
              next((line for line in said.splitlines() if line.startswith("Durability")), "no durability line"))

        front = free_port()
        config = os.path.join(work, "haproxy.cfg")
        with open(config, "w") as f:
            f.write(haproxy_config(front, ports))
        balancer = subprocess.Popen(["haproxy", "-f", config, "-db"], stdout=open(os.path.join(work, "haproxy.log"), "w"),
                                    stderr=subprocess.STDOUT, start_new_session=True)
        base = f"http://127.0.0.1:{front}"
        wait_healthy(base, 20)

        ada = Http(base)
        ada.login("ada")
        _, members, _ = ada.call("GET", "/api/v1/orgs/neon-valley/members")
        _, proposals, _ = ada.call("GET", "/api/v1/orgs/neon-valley/proposals")
        ranked = [q for q in proposals if q["phase"] == "voting" and q["method"].get("method") == "ranked"]
        proposal, options = ranked[0]["id"], len(ranked[0]["options"])
        handles = [m["handle"] for m in members][: args.members]
        for h in handles:
            status, body, _ = ada.call("POST", "/api/v1/deposits", {"to": h, "amount": "100.00", "memo": "chaos float"})
            if status not in (200, 201):
                raise RuntimeError(f"deposit to {h}: {status} {body}")

        load = Load(base, handles, proposal, options, give_up_s=90)
        threads = [threading.Thread(target=load.member, args=(i, h), daemon=True) for i, h in enumerate(handles)]
        for t in threads:
            t.start()
        time.sleep(args.seconds)
        before = load.count_after(0)
        check("the load is acknowledged through the balancer", before > 0, f"{before} writes in {args.seconds:.0f} s")

        # 1. The primary dies mid-load.
        killed_at = time.time()
        cluster.kill("n1")
        state = cluster.wait_state({"n2": "wait_primary|primary"}, seconds=120)
        promoted_at = time.time()
        deadline = time.time() + 120
        while load.first_ack_after(promoted_at) is None and time.time() < deadline:
            time.sleep(0.1)
        first = load.first_ack_after(killed_at)
        failover_s = (first - killed_at) if first else float("nan")
        check("after kill -9 of the primary, n2 is promoted", state["n2"][0] in ("wait_primary", "primary"), state)
        check("writes are acknowledged again after the failover", first is not None,
              f"failover time (kill → first write sent after it acknowledged): {failover_s:.1f} s; promotion seen after "
              f"{promoted_at - killed_at:.1f} s")
        time.sleep(args.seconds)
        after_failover = load.count_after(promoted_at)

        # 2. A Commune server dies mid-load.
        killed_server_at = time.time()
        os.killpg(servers[1].pid, signal.SIGKILL)
        servers[1].wait(timeout=10)
        time.sleep(args.seconds)
        after_server = load.count_after(killed_server_at)
        check("after kill -9 of a Commune server, its clients go on through the others", after_server > 0,
              f"{after_server} writes acknowledged in the {args.seconds:.0f} s after it")
        load.stop.set()
        for t in threads:
            t.join(timeout=120)
        check("every client thread finished", not any(t.is_alive() for t in threads))
        check("every write was acknowledged (retried with its id until it was)", not load.unacknowledged,
              f"{len(load.unacknowledged)} never were; {load.retries} retries in all")
        check("no write was refused", not load.errors, load.errors[:3])
        check("a member reads their own ballot right after casting it", not load.stale and load.reads > 0,
              f"{load.reads} reads, {len(load.stale)} stale: {load.stale[:2]}")
        reads = replica_reads([ports[0], ports[2]], "chaos")
        check("replicas served reads (GET requests of the surviving servers)", reads["replica"] > 0,
              f"{reads['replica']} reads on a replica, {reads['primary']} sent to the primary "
              "(no replica up, close enough, or past the member's last write)")
        again = 0
        for i in range(3):
            with open(os.path.join(work, f"commune{i + 1}.log")) as f:
                again += sum(1 for line in f if "unavailable database; " in line)
        print(f"batches of ballots or transfers the servers wrote again after meeting the failover: {again}")
        print(f"load: {len(load.acks)} acknowledged writes ({len(load.paid)} payments, {len(load.held)} holds, "
              f"ballots of {len(load.ballots)} members), {load.retries} retries; {before} before the primary died, "
              f"{after_failover} after its failover, {after_server} after a server died", flush=True)

        # Wait for the last holds to expire, then look at the new primary.
        time.sleep(4)
        new_primary = p["n2"]
        q = lambda sql: cluster.psql(new_primary, sql, db="commune")  # noqa: E731
        stored = set(q(f"SELECT encode(id, 'hex') FROM ledger_transfers WHERE encode(id, 'hex') LIKE '{PREFIX}%'").split())
        acked = load.paid | load.held
        check("every acknowledged payment and hold is in the ledger", acked <= stored,
              f"{len(acked - stored)} missing of {len(acked)}")
        check("nothing unacknowledged is", stored <= acked, f"{len(stored - acked)} transfers nobody was told about")
        holds = "','".join(load.held)
        expired = q(f"SELECT count(*) FROM ledger_pending WHERE state = 'expired' AND encode(id, 'hex') IN ('{holds}')")
        twice = q("SELECT count(*) FROM (SELECT e FROM audit_log, json_array_elements_text(payload::json -> 'expired') e "
                  "WHERE action = 'ledger.expire' GROUP BY e HAVING count(*) > 1) t")
        check("every hold expired, each exactly once (the scheduler's step)",
              int(expired) == len(load.held) and twice == "0",
              f"{expired} of {len(load.held)} holds expired; {twice} expired twice")
        # A proposal advances once per phase: the step is (proposal, the phase it moved to).
        repeated = q("SELECT count(*) FROM (SELECT action, subject FROM audit_log WHERE actor = 'scheduler' "
                     "GROUP BY action, subject, CASE WHEN action = 'proposal.advance' THEN payload::json ->> 'to' END "
                     "HAVING count(*) > 1) t")
        steps = q("SELECT count(*) FROM audit_log WHERE actor IN ('scheduler', 'system')")
        check("no scheduler step ran twice", repeated == "0", f"{steps} scheduler entries, {repeated} repeated")
        wrong = []
        for h, ranking in sorted(load.ballots.items()):
            client = Http(base)
            client.login(h)
            status, mine, _ = client.call("GET", f"/api/v1/proposals/{proposal}/ballot")
            got = (mine or {}).get("ballot", mine) if isinstance(mine, dict) else mine
            if status != 200 or json.dumps(got, sort_keys=True).find(json.dumps(ranking)) < 0:
                wrong.append((h, ranking, status, mine))
        check("each member's stored ballot is the last one acknowledged", not wrong, wrong[:2])
        verify = subprocess.run([commune, "verify", "--database-url", url], capture_output=True, text=True, timeout=600)
        check("commune verify passes on the new primary", verify.returncode == 0,
              (verify.stdout.strip().splitlines() or ["(no output)"])[-1] if verify.returncode == 0 else verify.stdout + verify.stderr)
        print(json.dumps({"failover_s": round(failover_s, 2), "promotion_s": round(promoted_at - killed_at, 2),
                          "acknowledged": len(load.acks), "retries": load.retries}))
    except Exception as e:  # noqa: BLE001 - report, clean up, fail
        check("the chaos test ran to the end", False, repr(e))
    finally:
        for s in servers:
            try:
                os.killpg(s.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if balancer:
            balancer.kill()
        cluster.stop()
        if failures:
            for name in ["commune1", "commune2", "commune3", "monitor", "n2"]:
                path = os.path.join(work, f"{name}.log")
                if os.path.exists(path):
                    with open(path) as f:
                        tail = f.read().splitlines()[-15:]
                    print(f"--- {name}.log (last lines)\n" + "\n".join(tail))
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")
    if failures:
        print(f"{len(failures)} check(s) failed: {failures}")
        sys.exit(1)
    print("all chaos checks passed")


if __name__ == "__main__":
    main()
