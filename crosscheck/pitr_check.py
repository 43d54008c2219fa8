#!/usr/bin/env python3
"""Backups and point-in-time recovery, end to end, as docs/deploy.md describes them.

On a fresh PostgreSQL cluster (Debian's binaries, run as the postgres user in a temporary
folder, loopback only) with WAL archiving on (`archive_mode = on`, an `archive_command` that
copies each segment to an archive folder):

  1. the demo commune is loaded and a base backup is taken with `pg_basebackup`;
  2. through a running `commune serve`, three deposits are made; the time T is noted;
  3. a second later, three more deposits are made; the primary is then stopped for good;
  4. the base backup is restored into a fresh folder with `restore_command` reading the archive
     and `recovery_target_time = T`, and started: it replays the archived WAL up to T and is
     promoted;
  5. on the restored cluster, `commune verify` passes (audit chain, every balance re-derived
     from the ledger's history), the three deposits before T are there and the three after T
     are not.

Exits non-zero on any failure.
"""

import argparse
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

PASSWORD = "commune-demo"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--commune", required=True)
    args = ap.parse_args()
    commune = os.path.abspath(args.commune)
    pg = os.path.dirname(sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))[-1])
    work = tempfile.mkdtemp(prefix="commune-pitr-")
    os.chmod(work, 0o755)
    archive = os.path.join(work, "archive")
    os.mkdir(archive)
    if os.geteuid() == 0:
        for path in (work, archive):
            shutil.chown(path, "postgres")
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    failures = []

    def run(command, **kw):
        done = subprocess.run(as_pg + command, capture_output=True, text=True, timeout=300, **kw)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()[-1500:]}")
        return done.stdout.strip()

    def psql(port, sql, db="postgres"):
        return run([f"{pg}/psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", db, "-Atqc", sql])

    def check(name, ok, detail=""):
        print(f"{'ok  ' if ok else 'FAIL'} {name}{(' — ' + str(detail)) if detail != '' else ''}", flush=True)
        if not ok:
            failures.append(name)

    primary, restored = os.path.join(work, "primary"), os.path.join(work, "restored")
    port, restored_port, web = free_port(), free_port(), free_port()
    server = None
    try:
        run([f"{pg}/initdb", "-D", primary, "-A", "trust", "-U", "postgres"])
        with open(os.path.join(primary, "postgresql.conf"), "a") as f:
            f.write(f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{work}'\n"
                    f"wal_level = replica\narchive_mode = on\n"
                    f"archive_command = 'test ! -f {archive}/%f && cp %p {archive}/%f'\n")
        run([f"{pg}/pg_ctl", "-D", primary, "-l", os.path.join(work, "primary.log"), "-w", "start"])
        psql(port, "CREATE ROLE commune LOGIN PASSWORD 'commune'")
        psql(port, "CREATE DATABASE commune OWNER commune")
        url = f"postgres://commune:commune@127.0.0.1:{port}/commune"
        env = dict(os.environ, COMMUNE_LOG="warn")
        key = os.path.join(work, "commune.key")
        server = subprocess.Popen([commune, "serve", "--demo", "--listen", f"127.0.0.1:{web}", "--database-url", url,
                                   "--key-file", key], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{web}"
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)

        run([f"{pg}/pg_basebackup", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-D",
             os.path.join(work, "base"), "-Fp", "-Xs", "-c", "fast"])
        print("base backup taken", flush=True)

        def call(method, path, body=None, cookie=None, csrf=None):
            req = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None,
                                         method=method, headers={"Content-Type": "application/json"})
            if cookie:
                req.add_header("Cookie", cookie)
            if csrf:
                req.add_header("X-CSRF-Token", csrf)
            with urllib.request.urlopen(req, timeout=30) as r:
                text = r.read().decode()
                return r.headers, json.loads(text) if text else None

        headers, body = call("POST", "/api/v1/sessions", {"handle": "ada", "password": PASSWORD})
        session = (headers["Set-Cookie"].split(";")[0], body["csrf_token"])

        def deposit(memo):
            call("POST", "/api/v1/deposits", {"to": "ada", "amount": "1.00", "memo": memo}, *session)

        for i in range(3):
            deposit(f"pitr before {i}")
        before = psql(port, "SELECT count(*) FROM ledger_transfers", "commune")
        target = psql(port, "SELECT now()")
        time.sleep(1.5)
        for i in range(3):
            deposit(f"pitr after {i}")
        after = psql(port, "SELECT count(*) FROM ledger_transfers", "commune")
        server.terminate()
        server.wait(timeout=30)
        server = None
        # Close the last WAL segment so it is archived, then lose the primary.
        psql(port, "SELECT pg_switch_wal()")
        psql(port, "CHECKPOINT")
        time.sleep(2)
        run([f"{pg}/pg_ctl", "-D", primary, "-m", "immediate", "stop"])
        print(f"primary stopped: {before} transfers at T = {target}, {after} at the end", flush=True)

        shutil.copytree(os.path.join(work, "base"), restored, symlinks=True)
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "postgres", restored], check=True)
        with open(os.path.join(restored, "postgresql.conf"), "a") as f:
            f.write(f"port = {restored_port}\narchive_mode = off\nrestore_command = 'cp {archive}/%f %p'\n"
                    f"recovery_target_time = '{target}'\nrecovery_target_action = 'promote'\n")
        open(os.path.join(restored, "recovery.signal"), "w").close()
        if os.geteuid() == 0:
            shutil.chown(os.path.join(restored, "recovery.signal"), "postgres")
        run([f"{pg}/pg_ctl", "-D", restored, "-l", os.path.join(work, "restored.log"), "-w", "-t", "120", "start"])
        for _ in range(240):
            if psql(restored_port, "SELECT pg_is_in_recovery()") == "f":
                break
            time.sleep(0.5)
        check("the restored cluster replayed the archive to T and was promoted",
              psql(restored_port, "SELECT pg_is_in_recovery()") == "f")
        restored_url = f"postgres://commune:commune@127.0.0.1:{restored_port}/commune"
        count = psql(restored_port, "SELECT count(*) FROM ledger_transfers", "commune")
        check("the deposits made before T are there and those after T are not", count == before,
              f"{count} transfers restored; {before} at T, {after} at the end")
        verify = subprocess.run([commune, "verify", "--database-url", restored_url], capture_output=True, text=True,
                                timeout=600)
        check("commune verify passes on the restored cluster", verify.returncode == 0,
              (verify.stdout.strip().splitlines() or [""])[-1] if verify.returncode == 0 else verify.stdout + verify.stderr)
    except Exception as e:  # noqa: BLE001 - report, clean up, fail
        check("the recovery ran to the end", False, repr(e))
    finally:
        if server:
            server.kill()
        for data in (primary, restored):
            if os.path.exists(os.path.join(data, "postmaster.pid")):
                subprocess.run(as_pg + [f"{pg}/pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True)
        if failures:
            for log in ("primary.log", "restored.log"):
                path = os.path.join(work, log)
                if os.path.exists(path):
                    print(f"--- {log}\n" + "".join(open(path).readlines()[-15:]))
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        sys.exit(1)
    print("point-in-time recovery: all checks passed")


if __name__ == "__main__":
    main()
