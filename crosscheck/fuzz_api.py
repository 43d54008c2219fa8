"""Schema-driven fuzzing of the JSON API with schemathesis: every operation in the committed
OpenAPI document, generated inputs (valid and invalid), a signed-in demo member's session, and
the check that no response is a server error. Loopback only; bounded by --examples."""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--commune", required=True)
    parser.add_argument("--st", default=str(Path(sys.executable).with_name("st")))
    parser.add_argument("--port", type=int, default=18095)
    parser.add_argument("--examples", type=int, default=25)
    parser.add_argument("--seed", default="20261128")
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    with tempfile.TemporaryDirectory() as tmp:
        server = subprocess.Popen(
            [args.commune, "serve", "--demo", "--listen", f"127.0.0.1:{args.port}", "--database-url", f"sqlite://{tmp}/fuzz.db",
             "--client-rate-per-minute", "100000"],
            env=dict(os.environ, COMMUNE_LOG="warn"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(base + "/healthz")
                    break
                except OSError:
                    time.sleep(0.1)
            login = urllib.request.Request(base + "/api/v1/sessions", method="POST", headers={"Content-Type": "application/json"},
                                           data=json.dumps({"handle": "ada", "password": "commune-demo"}).encode())
            with urllib.request.urlopen(login) as r:
                cookie = r.headers["Set-Cookie"].split(";")[0]
                csrf = json.loads(r.read())["csrf_token"]
            schema = Path(tmp) / "openapi.json"
            schema.write_bytes(urllib.request.urlopen(base + "/api/v1/openapi.json").read())
            result = subprocess.run([
                args.st, "run", str(schema), "--url", base, "--checks", "not_a_server_error",
                "--max-examples", str(args.examples), "--seed", args.seed,
                "--exclude-path", "/api/v1/sessions/current",
                "-H", f"Cookie: {cookie}", "-H", f"X-CSRF-Token: {csrf}",
            ], check=False)
            if server.poll() is not None:
                print("the server died during fuzzing")
                sys.exit(1)
            sys.exit(result.returncode)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
