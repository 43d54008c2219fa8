#!/usr/bin/env python3
"""Commune's OpenID Connect provider against three independent clients, on loopback.

Starts `commune serve` on a fresh SQLite database, sets up a commune with a member and an
organisation, registers one app per client, and plays the member's browser (log in, read the
consent page, press Allow). Each client then, with its own library doing the protocol work:

  * completes the authorization code flow with PKCE (S256) and validates the ID token
    (signature from the JWKS, iss, aud, nonce, exp);
  * calls userinfo and checks the subject and the `commune:orgs` claim;
  * refreshes, and sees the old refresh token refused afterwards (rotation with reuse detection);
  * lives through a signing-key rotation: the next key is published before it signs; afterwards a
    token of the previous key still verifies and a token of the new key verifies (the
    subprocess clients without fetching the key set again: they cached it while both were
    published);
  * refuses a token with the wrong `iss`, the wrong `aud`, an expired one and one with a tampered
    signature — each signed with the server's real key, which this script unseals from the
    database with the instance key file (the sealing format is documented in
    `commune-app/src/sealed.rs`), so only the claim under test is wrong.

Clients: Python `authlib` (in this process, confidential, client_secret_basic), npm `openid-client`
(`oidc_client.mjs`, public, PKCE only) and the Rust `openidconnect` crate (`oidc-rs/`,
confidential, client_secret_post). The subprocess clients talk to this script by lines on
stdin/stdout: `AUTHORIZE url` → `CALLBACK url`, `ROTATE` → `ROTATED next-kid` (the next key is
published, not yet signing), `PROMOTE` → `PROMOTED kid` (it signs from now on),
`MINT kind client_id nonce` → `TOKEN jwt`, and report `CHECK name ok|FAIL detail`, then `DONE`.

Exits non-zero when any check fails.
"""

import argparse
import warnings
import base64
import html.parser
import json
import os
import shutil
import secrets
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse

import requests

warnings.filterwarnings("ignore", message="authlib.jose module is deprecated")
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

PASSWORD = "correct horse battery"
SCOPE = "openid profile email commune:orgs"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hidden(html.parser.HTMLParser):
    """The hidden inputs of the consent form."""

    def __init__(self):
        super().__init__()
        self.fields = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("type") == "hidden":
            self.fields.append((a["name"], a.get("value", "")))


class Server:
    def __init__(self, binary):
        self.dir = tempfile.mkdtemp(prefix="commune-oidc-")
        self.db = os.path.join(self.dir, "commune.db")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(self.dir, "server.log"), "w")
        self.proc = subprocess.Popen(
            [binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--public-url", self.base,
             "--database-url", f"sqlite://{self.db}"],
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        for _ in range(300):
            try:
                if requests.get(self.base + "/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.1)
        else:
            raise SystemExit("the server did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()

    def api(self, session, method, path, body=None, csrf=None):
        headers = {"X-CSRF-Token": csrf} if csrf else {}
        r = session.request(method, self.base + path, json=body, headers=headers, allow_redirects=False)
        if r.status_code >= 400:
            raise SystemExit(f"{method} {path}: {r.status_code} {r.text}")
        return r.json() if r.text else None

    def login(self, handle):
        s = requests.Session()
        body = self.api(s, "POST", "/api/v1/sessions", {"handle": handle, "password": PASSWORD})
        return s, body["csrf_token"]

    # The signing keys, unsealed with the instance key file: only to sign tokens that are wrong
    # in exactly one claim.
    def private_key(self, state):
        key = bytes.fromhex(open(os.path.join(self.dir, "commune.key")).read().strip())
        row = sqlite3.connect(self.db).execute(
            "SELECT kid, sealed_private FROM oidc_keys WHERE state = ? ORDER BY created_at DESC", (state,)
        ).fetchone()
        kid, sealed = row
        raw = bytes.fromhex(sealed)
        der = ChaCha20Poly1305(key).decrypt(raw[:12], raw[12:], f"oidc-key:{kid}".encode())
        pem = serialization.load_der_private_key(der, None).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return kid, pem


class World:
    def __init__(self, server):
        self.server = server
        anon = requests.Session()
        server.api(anon, "POST", "/api/v1/setup", {
            "commune_name": "OIDC Commune", "commune_slug": "root", "handle": "root",
            "display_name": "Root", "password": PASSWORD})
        server.api(anon, "POST", "/api/v1/members", {"handle": "ada", "display_name": "Ada", "password": PASSWORD})
        self.browser, self.csrf = server.login("ada")
        self.sub = server.api(self.browser, "GET", "/api/v1/me")["member"]["id"]
        server.api(self.browser, "POST", "/api/v1/orgs",
                   {"slug": "bakery", "name": "Bakery", "kind": "business"}, self.csrf)
        self.root, self.root_csrf = server.login("root")
        self.apps = {}

    def register(self, name, kind, redirect):
        made = self.server.api(self.browser, "POST", "/api/v1/orgs/bakery/apps", {
            "name": name, "kind": kind, "redirect_uris": [redirect]}, self.csrf)
        return made["app"]["id"], made["client_secret"]

    def authorize(self, url):
        """The member's browser: follows the authorization URL, allows, returns the callback URL."""
        r = self.browser.get(url, allow_redirects=False)
        if r.status_code == 303:
            return r.headers["Location"]
        if r.status_code != 200:
            raise SystemExit(f"authorize: {r.status_code} {r.text[:500]}")
        form = Hidden()
        form.feed(r.text)
        fields = form.fields + [("decision", "allow")]
        r = self.browser.post(self.server.base + "/oauth/authorize", data=fields, allow_redirects=False)
        if r.status_code != 303:
            raise SystemExit(f"consent: {r.status_code} {r.text[:500]}")
        return r.headers["Location"]

    def rotate(self, immediately):
        """Starts a rotation (the next key is published, not signing) or finishes it at once."""
        done = self.server.api(self.root, "POST", "/api/v1/admin/oidc/rotate", {"immediately": immediately},
                               self.root_csrf)
        return done["active"] if immediately else done["next"]

    def mint(self, kind, client_id, nonce):
        """An ID token signed by the server's key, wrong in exactly the way `kind` names."""
        now = int(time.time())
        claims = {"iss": self.server.base, "sub": self.sub, "aud": client_id, "azp": client_id,
                  "iat": now, "exp": now + 600, "auth_time": now}
        if nonce and nonce != "-":
            claims["nonce"] = nonce
        state = "previous" if kind == "previous_key" else "active"
        if kind == "wrong_iss":
            claims["iss"] = "http://127.0.0.1:1/not-commune"
        elif kind == "wrong_aud":
            claims["aud"] = claims["azp"] = "another-app"
        elif kind == "expired":
            claims["iat"], claims["exp"], claims["auth_time"] = now - 7200, now - 3600, now - 7200
        kid, pem = self.server.private_key(state)
        token = jwt.encode({"alg": "RS256", "kid": kid, "typ": "JWT"}, claims, pem).decode()
        if kind == "tampered":
            head, body, sig = token.split(".")
            middle = len(sig) // 2
            sig = sig[:middle] + ("A" if sig[middle] != "A" else "B") + sig[middle + 1:]
            token = ".".join([head, body, sig])
        return token


class Report:
    def __init__(self):
        self.rows = []

    def check(self, client, name, ok, detail=""):
        self.rows.append((client, name, ok, detail))
        print(f"{'ok  ' if ok else 'FAIL'} {client:18} {name}{(' — ' + detail) if detail else ''}", flush=True)

    def failed(self):
        return [r for r in self.rows if not r[2]]


def refused(validate):
    try:
        validate()
    except Exception as e:  # noqa: BLE001 - any refusal by the library counts
        return True, type(e).__name__
    return False, "accepted"


def authlib_client(world, report, redirect):
    """Python authlib: confidential, client_secret_basic, PKCE."""
    name = "authlib"
    base = world.server.base
    client_id, secret = world.register("authlib", "confidential", redirect)
    meta = requests.get(base + "/.well-known/openid-configuration").json()
    report.check(name, "discovery", meta["issuer"] == base and "S256" in meta["code_challenge_methods_supported"])

    def keyset():
        return JsonWebKey.import_key_set(requests.get(meta["jwks_uri"]).json())

    def validate(token, nonce, expect_iss=base, expect_aud=client_id, now=None, access=None):
        params = {"nonce": nonce, "client_id": expect_aud}
        if access:
            params["access_token"] = access
        claims = jwt.decode(token, keyset(), claims_cls=CodeIDToken,
                            claims_options={"iss": {"essential": True, "values": [expect_iss]},
                                            "aud": {"essential": True, "values": [expect_aud]}},
                            claims_params=params)
        claims.validate(now=now)
        return claims

    session = OAuth2Session(client_id, secret, scope=SCOPE, redirect_uri=redirect,
                            code_challenge_method="S256", token_endpoint_auth_method="client_secret_basic")
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    url, state = session.create_authorization_url(meta["authorization_endpoint"], nonce=nonce, code_verifier=verifier)
    callback = world.authorize(url)
    token = session.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    claims = validate(token["id_token"], nonce, access=token["access_token"])
    report.check(name, "code + PKCE, ID token validated (signature, iss, aud, nonce, exp, at_hash)",
                 claims["sub"] == world.sub and claims["preferred_username"] == "ada")
    info = session.get(meta["userinfo_endpoint"]).json()
    orgs = [o["slug"] for o in info.get("commune:orgs", [])]
    report.check(name, "userinfo (sub, commune:orgs)", info.get("sub") == world.sub and "bakery" in orgs, str(orgs))

    old_refresh = token["refresh_token"]
    fresh = session.refresh_token(meta["token_endpoint"], refresh_token=old_refresh)
    ok = fresh["refresh_token"] != old_refresh and validate(fresh["id_token"], None)["sub"] == world.sub
    report.check(name, "refresh (rotated refresh token, new ID token validated)", ok)

    before = fresh["id_token"]
    next_kid = world.rotate(False)
    published = [k["kid"] for k in requests.get(meta["jwks_uri"]).json()["keys"]]
    report.check(name, "rotation: the next key is published before it signs", next_kid in published and len(published) == 2,
                 ",".join(published))
    kid = world.rotate(True)
    still, why = refused(lambda: validate(before, None))
    report.check(name, "rotation: a token of the previous key still verifies", not still, why)
    newer = session.refresh_token(meta["token_endpoint"], refresh_token=fresh["refresh_token"])
    header = json.loads(base64.urlsafe_b64decode(newer["id_token"].split(".")[0] + "=="))
    validate(newer["id_token"], None)
    report.check(name, "rotation: a token of the new key verifies", header["kid"] == kid, header["kid"])

    for kind, how in [("wrong_iss", {}), ("wrong_aud", {}), ("expired", {}), ("tampered", {})]:
        bad = world.mint(kind, client_id, nonce)
        ok, why = refused(lambda: validate(bad, nonce, **how))
        report.check(name, f"refuses {kind.replace('_', ' ')}", ok, why)
    good = world.mint("good", client_id, nonce)
    ok, why = refused(lambda: validate(good, nonce))
    report.check(name, "accepts the control token minted the same way", not ok, why)

    # The first refresh token again: refused, and the grant is revoked.
    reuse = requests.post(meta["token_endpoint"], data={"grant_type": "refresh_token", "refresh_token": old_refresh},
                          auth=(client_id, secret))
    after = requests.post(meta["token_endpoint"], data={"grant_type": "refresh_token",
                                                        "refresh_token": newer["refresh_token"]},
                          auth=(client_id, secret))
    report.check(name, "reused refresh token refused and the grant revoked",
                 reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
                 and after.status_code == 400, f"{reuse.status_code} then {after.status_code}")


def line_client(world, report, name, command, kind, redirect, env_extra):
    """Runs a client that speaks the line protocol (see the module docstring)."""
    client_id, secret = world.register(name, kind, redirect)
    env = dict(os.environ, OIDC_ISSUER=world.server.base, OIDC_CLIENT_ID=client_id,
               OIDC_CLIENT_SECRET=secret or "", OIDC_REDIRECT=redirect, OIDC_SUB=world.sub, **env_extra)
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    done = False
    for line in proc.stdout:
        line = line.rstrip("\n")
        word, _, rest = line.partition(" ")
        if word == "AUTHORIZE":
            proc.stdin.write(f"CALLBACK {world.authorize(rest)}\n")
        elif word == "ROTATE":
            proc.stdin.write(f"ROTATED {world.rotate(False)}\n")
        elif word == "PROMOTE":
            proc.stdin.write(f"PROMOTED {world.rotate(True)}\n")
        elif word == "MINT":
            token_kind, mint_client, nonce = rest.split(" ")
            proc.stdin.write(f"TOKEN {world.mint(token_kind, mint_client, nonce)}\n")
        elif word == "CHECK":
            check, _, tail = rest.partition(" ")
            verdict, _, detail = tail.partition(" ")
            report.check(name, check.replace("_", " "), verdict == "ok", detail)
        elif word == "DONE":
            done = True
        else:
            print(f"   {name}: {line}", flush=True)
        proc.stdin.flush()
    code = proc.wait(timeout=120)
    report.check(name, "ran to the end", done and code == 0, f"exit {code}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--commune", required=True, help="the commune binary")
    ap.add_argument("--node-client", help="path of oidc_client.mjs (npm openid-client)")
    ap.add_argument("--rust-client", help="the built oidc-rs binary (openidconnect crate)")
    args = ap.parse_args()
    server = Server(args.commune)
    report = Report()
    try:
        world = World(server)
        authlib_client(world, report, "http://127.0.0.1:9/authlib/cb")
        if args.node_client:
            line_client(world, report, "openid-client", ["node", args.node_client], "public",
                        "http://127.0.0.1:9/node/cb", {})
        if args.rust_client:
            line_client(world, report, "openidconnect-rs", [args.rust_client], "confidential",
                        "http://127.0.0.1:9/rust/cb", {})
    finally:
        server.stop()
    secret_leaks = [line for line in open(os.path.join(server.dir, "server.log"))
                    if "cmnc_" in line or "refresh_token=" in line or "code=" in line]
    report.check("server", "no client secret, code or token in the server log", not secret_leaks,
                 secret_leaks[0][:120] if secret_leaks else "")
    shutil.rmtree(server.dir, ignore_errors=True)
    failed = report.failed()
    clients = sorted({r[0] for r in report.rows})
    print(f"\n{len(report.rows) - len(failed)}/{len(report.rows)} checks passed across {', '.join(clients)}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
