#!/usr/bin/env python3
"""Screenshots of Commune's main pages at desktop (1280 px) and phone (390 px) widths.

Usage: python3 docs/screenshots/take.py [--base http://127.0.0.1:8080] [--webdriver http://127.0.0.1:9515]
       [--out docs/screenshots] [--pages home,inbox,...]

Needs a running `commune serve --demo` and `chromedriver --port=9515` (Debian's chromium-driver).
Logs in as ada (the demo's password) and writes <page>-desktop.webp (the whole page) and
<page>-phone.webp (the first screen, as a phone shows it). Only
the Python standard library: it speaks the W3C WebDriver protocol directly.
"""
import argparse, base64, json, os, re, sys, tempfile, time, urllib.request

PAGES = [
    ("home", "/"), ("inbox", "/inbox"), ("proposals", "/orgs/neon-valley/proposals"),
    ("proposal-new", "/orgs/neon-valley/proposals/new"), ("proposal-form", "/orgs/neon-valley/proposals/new?kind=allocation"),
    ("members", "/members"), ("member", "/m/ada"),
    ("wallet", "/wallet"), ("treasury", "/orgs/neon-valley/treasury"), ("orgs", "/orgs"),
    ("admin", "/admin"), ("style", "/style"),
    ("ideas", "/orgs/neon-valley/ideas"), ("problems", "/orgs/common-code/problems"),
    ("analytics", "/orgs/common-code/analytics"),
]
# Proposals are found by title on the commune's list (their ids differ per run).
PROPOSALS = [("proposal-results", "Raise the funnel to 22% of revenue"), ("proposal-ranked", "Which co-op do we fund next?")]


class Driver:
    def __init__(self, url):
        self.url = url.rstrip("/")
        profile = tempfile.mkdtemp(prefix="commune-shots-")
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                f"--user-data-dir={profile}"]
        caps = {"capabilities": {"alwaysMatch": {"goog:chromeOptions": {"args": args}}}}
        self.session = self.call("POST", "/session", caps)["sessionId"]

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req) as resp:
            return json.loads(resp.read())["value"]

    def s(self, method, path, body=None):
        return self.call(method, f"/session/{self.session}{path}", body)

    def go(self, url):
        self.s("POST", "/url", {"url": url})

    def size(self, width, height):
        self.s("POST", "/window/rect", {"width": width, "height": height})

    def find(self, css):
        return list(self.s("POST", "/element", {"using": "css selector", "value": css}).values())[0]

    def type(self, css, text):
        self.s("POST", f"/element/{self.find(css)}/value", {"text": text})

    def click(self, css):
        self.s("POST", f"/element/{self.find(css)}/click", {})

    def shot(self, path, width, height, whole):
        """The page as WebP: the whole page (up to 3,000 px tall) or the screen as it shows
        (phones: the bottom navigation stays at the bottom), through Chrome's DevTools protocol."""
        if whole:
            full = self.s("POST", "/execute/sync", {"script": "return document.documentElement.scrollHeight", "args": []})
            height = min(int(full), 3000)
        clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        params = {"format": "webp", "quality": 82, "captureBeyondViewport": whole, "clip": clip}
        data = self.s("POST", "/goog/cdp/execute", {"cmd": "Page.captureScreenshot", "params": params})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def quit(self):
        self.call("DELETE", f"/session/{self.session}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="http://127.0.0.1:8080")
    ap.add_argument("--webdriver", default="http://127.0.0.1:9515")
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--pages", default="")
    args = ap.parse_args()
    wanted = set(filter(None, args.pages.split(",")))
    d = Driver(args.webdriver)
    try:
        d.size(1280, 900)
        d.go(args.base + "/login")
        d.type("input[name=handle]", "ada")
        d.type("input[name=password]", "commune-demo")
        d.click("form[action='/login'] button[type=submit]")
        for _ in range(50):
            if not d.s("GET", "/url").split("?")[0].endswith("/login"):
                break
            time.sleep(0.1)
        pages = list(PAGES)
        d.go(args.base + "/orgs/neon-valley/proposals")
        listing = d.s("GET", "/source")
        for name, title in PROPOSALS:
            found = re.search(r'href="(/p/[0-9a-f-]+)"[^>]*>\s*<h3>' + re.escape(title), listing)
            if found:
                pages.append((name, found.group(1)))
        d.go(args.base + "/orgs/neon-valley/conversations")
        found = re.search(r'href="(/conversations/[0-9a-f-]+)"', d.s("GET", "/source"))
        if found:
            pages.append(("opinion-map", found.group(1)))
        for name, path in pages:
            if wanted and name not in wanted:
                continue
            for label, (w, h) in (("desktop", (1280, 900)), ("phone", (390, 844))):
                d.size(w, h)
                d.go(args.base + path)
                out = os.path.join(args.out, f"{name}-{label}.webp")
                d.shot(out, w, h, label == "desktop")
                print("wrote", out)
    finally:
        d.quit()


if __name__ == "__main__":
    sys.exit(main())
