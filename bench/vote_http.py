"""Benchmark: casting a vote over HTTP, through the JSON API and through the web form, against the
same server's /healthz, under the same load.

Starts `commune serve --demo` (release build, fresh SQLite in a temporary folder, durable
settings: WAL + synchronous=FULL) and votes on the demo commune's ranked proposal that is in its
voting phase (a new proposal would first have to meet its constitutional floors: a day of
discussion before voting opens), as up to N of its members, then runs wrk with identical threads, connections and duration against GET /healthz and
against POST /api/v1/proposals/{id}/ballot (each request a full ranked ballot from one of the N
members, cookie + CSRF authenticated, audited, durably committed) and against POST /p/{id}/vote
(the same ballot as the web page's form sends it, answered with a redirect). Reports the three
throughputs, the ratios, and p99 latencies. Loopback only; every run is bounded by --seconds. Asserts nothing.
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

PASSWORD = "commune-demo"


def call(base, method, path, body=None, cookie=None, csrf=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if cookie:
        request.add_header("Cookie", cookie)
    if csrf:
        request.add_header("X-CSRF-Token", csrf)
    with urllib.request.urlopen(request) as response:
        text = response.read().decode()
        return response.headers, (json.loads(text) if text else None)


def login(base, handle):
    headers, body = call(base, "POST", "/api/v1/sessions", {"handle": handle, "password": PASSWORD})
    cookie = headers["Set-Cookie"].split(";")[0]
    return cookie, body["csrf_token"]


def wrk(args, url, script=None):
    command = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{args.seconds}s", "--latency"]
    if script:
        command += ["-s", script]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p99, int(non2xx.group(1)) if non2xx else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--commune", required=True)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--port", type=int, default=18093)
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, COMMUNE_LOG="warn")
        server = subprocess.Popen([args.commune, "serve", "--demo", "--listen", f"127.0.0.1:{args.port}",
                                   "--database-url", f"sqlite://{tmp}/bench.db", "--client-rate-per-minute", "100000"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(600):
                try:
                    call(base, "GET", "/healthz")
                    break
                except OSError:
                    time.sleep(0.1)
            ada = login(base, "ada")
            _, members = call(base, "GET", "/api/v1/orgs/neon-valley/members", None, *ada)
            sessions = [login(base, m["handle"]) for m in members[:args.members]]
            _, proposals = call(base, "GET", "/api/v1/orgs/neon-valley/proposals", None, *ada)
            ranked = [p for p in proposals if p["phase"] == "voting" and p["method"].get("method") == "ranked"]
            pid, options = ranked[0]["id"], len(ranked[0]["options"])
            root = ada
            script = os.path.join(tmp, "vote.lua")
            lua_sessions = ",\n".join(f'{{"{c}", "{t}"}}' for c, t in sessions)
            with open(script, "w") as f:
                f.write(f"""
local sessions = {{ {lua_sessions} }}
local n = 0
request = function()
  n = n + 1
  local s = sessions[(n % #sessions) + 1]
  local a = n % {options}
  local body = string.format('{{"kind":"ranked","ranking":[[%d],[%d],[%d]]}}', a, (a + 1) % {options}, (a + 2) % {options})
  return wrk.format("POST", "/api/v1/proposals/{pid}/ballot",
    {{ ["Content-Type"] = "application/json", ["Cookie"] = s[1], ["X-CSRF-Token"] = s[2] }}, body)
end
""")
            form_script = os.path.join(tmp, "form.lua")
            with open(form_script, "w") as f:
                f.write(f"""
local sessions = {{ {lua_sessions} }}
local n = 0
request = function()
  n = n + 1
  local s = sessions[(n % #sessions) + 1]
  local a = n % {options}
  local body = string.format("csrf=%s&rank_%d=1&rank_%d=2&rank_%d=3", s[2], a, (a + 1) % {options}, (a + 2) % {options})
  return wrk.format("POST", "/p/{pid}/vote",
    {{ ["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = s[1] }}, body)
end
""")
            health_rps, health_p99, health_bad = wrk(args, base + "/healthz")
            vote_rps, vote_p99, vote_bad = wrk(args, base + "/", script)
            web_rps, web_p99, web_bad = wrk(args, base + "/", form_script)
            _, results = call(base, "GET", f"/api/v1/proposals/{pid}", None, *root)
            print(f"load: wrk -t{args.threads} -c{args.connections} -d{args.seconds}s on loopback; SQLite WAL, synchronous=FULL")
            print(f"/healthz        {health_rps:10.0f} req/s   p99 {health_p99:>8}   non-2xx {health_bad}")
            print(f"cast a ballot   {vote_rps:10.0f} req/s   p99 {vote_p99:>8}   non-2xx {vote_bad}")
            print(f"vote by form    {web_rps:10.0f} req/s   p99 {web_p99:>8}   non-2xx/3xx {web_bad}")
            print(f"ratio: voting runs at {100 * vote_rps / health_rps:.1f}% of /healthz throughput")
            print(f"ratio: the web form votes at {web_rps / vote_rps:.2f}x the API's throughput (API/web {vote_rps / web_rps:.2f})")
            print(json.dumps({"healthz_rps": health_rps, "healthz_p99": health_p99, "vote_rps": vote_rps, "vote_p99": vote_p99,
                              "web_vote_rps": web_rps, "web_vote_p99": web_p99, "ratio": vote_rps / health_rps,
                              "api_over_web": vote_rps / web_rps, "vote_errors": vote_bad, "web_vote_errors": web_bad,
                              "phase": results["phase"]}))
            if vote_bad or web_bad:
                sys.exit(1)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
