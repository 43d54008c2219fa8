// Commune federating with a live Fedify peer (@fedify/fedify from npm) on loopback, in both HTTP
// signature dialects.
//
// Starts `commune serve` on a fresh SQLite database (`--webhook-allow 127.0.0.1/32`, so the peer
// on this machine may be reached), publishes its root organisation, and then twice — once with
// the peer signing RFC 9421 first, once with it signing draft-cavage-12 first and refusing RFC
// 9421 signatures from Commune (an older server), so Commune must knock again in cavage:
//
//   1. the peer looks the organisation up by WebFinger and fetches its actor document;
//   2. the peer sends Follow; Commune verifies the peer's signature and answers Accept, which the
//      peer verifies (Fedify checks the signature, the key owner and the digest);
//   3. a steward publishes a proposal; the peer receives Create(Question) with its options;
//   4. the peer replies with Create(Note) inReplyTo the question; it appears in the proposal's
//      fediverse thread (`GET /api/v1/proposals/{id}/replies`);
//   5. a member comments on the proposal; the peer receives Create(Note) replying to it;
//   6. Commune's instance list records the dialect the peer accepted.
//
// Usage: node crosscheck/fedify_check.mjs --commune target/debug/commune
// Exits non-zero on any failure.

import { spawn } from "node:child_process";
import { mkdtempSync, openSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Accept, Create, Endpoints, Follow, Note, Person, Question,
  createFederation, generateCryptoKeyPair, MemoryKvStore,
} from "@fedify/fedify";

const args = process.argv.slice(2);
const commune = args[args.indexOf("--commune") + 1];
const PASSWORD = "correct horse battery";
const failures = [];
function check(name, ok, detail = "") {
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? " — " + detail : ""}`);
  if (!ok) failures.push(name);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, seconds) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const got = await what();
    if (got) return got;
    await sleep(200);
  }
  return null;
}
function freePort() {
  return new Promise((resolve) => {
    const s = http.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// --- Commune ---------------------------------------------------------------------------------
const work = mkdtempSync(join(tmpdir(), "commune-fedify-"));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const log = openSync(join(work, "server.log"), "w");
const server = spawn(commune, [
  "serve", "--listen", `127.0.0.1:${port}`, "--database-url", `sqlite://${work}/c.db`,
  "--webhook-allow", "127.0.0.1/32",
], { stdio: ["ignore", log, log] });
process.on("exit", () => server.kill());

class Session {
  cookie = "";
  csrf = "";
  async call(method, path, body) {
    const headers = { "content-type": "application/json" };
    if (this.cookie) headers.cookie = this.cookie;
    if (this.csrf) headers["x-csrf-token"] = this.csrf;
    const r = await fetch(base + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
    const cookies = r.headers.getSetCookie();
    if (cookies.length) this.cookie = cookies.map((c) => c.split(";")[0]).join("; ");
    const text = await r.text();
    if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }
  async login(handle) {
    const s = await this.call("POST", "/api/v1/sessions", { handle, password: PASSWORD });
    this.csrf = s.csrf_token;
    return this;
  }
}

await until(async () => (await fetch(base + "/healthz").catch(() => null))?.ok, 30);
const anon = new Session();
await anon.call("POST", "/api/v1/setup", {
  commune_name: "Fedify check", commune_slug: "root", handle: "root", display_name: "Root", password: PASSWORD,
});
const root = await new Session().login("root");
await root.call("PUT", "/api/v1/orgs/root/federation", { publish: true });
const orgActor = `${base}/ap/orgs/root`;

// --- The Fedify peer ---------------------------------------------------------------------------
async function peer(firstKnock, refuseRfc9421) {
  const events = { accepts: [], questions: [], notes: [], refused: 0 };
  const pair = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  const federation = createFederation({
    kv: new MemoryKvStore(),
    allowPrivateAddress: true,
    firstKnock,
  });
  federation
    .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
      if (identifier !== "peer") return null;
      const keys = await ctx.getActorKeyPairs(identifier);
      return new Person({
        id: ctx.getActorUri(identifier),
        preferredUsername: identifier,
        name: "Fedify peer",
        inbox: ctx.getInboxUri(identifier),
        endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
        publicKey: keys[0].cryptographicKey,
        assertionMethods: keys.map((k) => k.multikey),
      });
    })
    .setKeyPairsDispatcher(async (_ctx, identifier) => (identifier === "peer" ? [pair] : []));
  federation
    .setInboxListeners("/users/{identifier}/inbox", "/inbox")
    .on(Accept, async (_ctx, accept) => {
      events.accepts.push(accept.actorId?.href);
    })
    .on(Create, async (_ctx, create) => {
      const object = await create.getObject();
      if (object instanceof Question) {
        const options = [];
        for await (const o of object.getExclusiveOptions()) options.push(o);
        for await (const o of object.getInclusiveOptions()) options.push(o);
        events.questions.push({ id: object.id?.href, name: object.name?.toString(), options: options.map((o) => o.name?.toString()) });
      } else if (object instanceof Note) {
        events.notes.push({ id: object.id?.href, inReplyTo: object.replyTargetId?.href, content: object.content?.toString() });
      }
    });
  const peerPort = await freePort();
  const peerBase = `http://127.0.0.1:${peerPort}`;
  const httpServer = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    if (refuseRfc9421 && req.method === "POST" && req.headers["signature-input"]) {
      events.refused += 1;
      res.writeHead(401).end("this peer speaks draft-cavage only");
      return;
    }
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
    const request = new Request(peerBase + req.url, {
      method: req.method, headers, body: ["GET", "HEAD"].includes(req.method) ? undefined : body,
    });
    const response = await federation.fetch(request, {
      contextData: undefined,
      onNotFound: () => new Response("not found", { status: 404 }),
      onNotAcceptable: () => new Response("not acceptable", { status: 406 }),
    });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise((r) => httpServer.listen(peerPort, "127.0.0.1", r));
  const ctx = federation.createContext(new URL(peerBase), undefined);
  return { events, ctx, peerBase, close: () => httpServer.close() };
}

for (const [firstKnock, refuse] of [["rfc9421", false], ["draft-cavage-http-signatures-12", true]]) {
  const label = `[peer signs ${firstKnock}${refuse ? ", refuses RFC 9421" : ""}]`;
  const p = await peer(firstKnock, refuse);
  const host = new URL(base).host;

  // 1. WebFinger (Fedify's lookup of a handle assumes https, so it is read here over http) and
  //    the actor document, through Fedify's own lookup.
  const jrd = await (await fetch(`${base}/.well-known/webfinger?resource=acct:root@${host}`)).json();
  const self = jrd.links.find((l) => l.rel === "self")?.href;
  check(`${label} WebFinger acct:root@${host} names the organisation`, self === orgActor, self);
  const found = await p.ctx.lookupObject(self);
  check(`${label} the actor is a Group with an inbox`, found?.constructor?.name === "Group" && !!found.inboxId);

  // 2. Follow → Accept.
  await p.ctx.sendActivity({ identifier: "peer" }, found, new Follow({
    id: new URL(`${p.peerBase}/follows/${Date.now()}`),
    actor: p.ctx.getActorUri("peer"),
    object: found.id,
  }));
  const accepted = await until(() => p.events.accepts.length > 0, 30);
  check(`${label} Commune verified the Follow and its Accept verified at the peer`, !!accepted);
  const overview = await root.call("GET", "/api/v1/orgs/root/federation");
  check(`${label} the peer is a follower`, overview.followers.some((f) => f.id === `${p.peerBase}/users/peer`));

  // 3. A proposal published for discussion arrives as a Question.
  const now = Date.now();
  const made = await root.call("POST", "/api/v1/orgs/root/proposals", {
    title: `Share the oven ${firstKnock}`, body: "Weekends only.", domain: "general", kind: "decision",
    method: { method: "approval" }, options: ["Saturday", "Sunday"],
    voting_opens_at: now + 8 * 86400000, voting_closes_at: now + 20 * 86400000,
  });
  await root.call("POST", `/api/v1/proposals/${made.id}/publish`);
  const question = await until(() => p.events.questions.find((q) => q.id === `${base}/ap/proposals/${made.id}`), 30);
  check(`${label} the peer received the Question`, !!question);
  check(`${label} with its options`, JSON.stringify(question?.options) === JSON.stringify(["Saturday", "Sunday"]),
    JSON.stringify(question?.options));

  // 4. The peer replies; the reply joins the proposal's fediverse thread.
  await p.ctx.sendActivity({ identifier: "peer" }, found, new Create({
    id: new URL(`${p.peerBase}/creates/${Date.now()}`),
    actor: p.ctx.getActorUri("peer"),
    object: new Note({
      id: new URL(`${p.peerBase}/notes/${Date.now()}`),
      attribution: p.ctx.getActorUri("peer"),
      replyTarget: new URL(`${base}/ap/proposals/${made.id}`),
      content: `<p>Sunday suits us (${firstKnock})</p>`,
    }),
  }));
  const reply = await until(async () => {
    const replies = await root.call("GET", `/api/v1/proposals/${made.id}/replies`);
    return replies.find((r) => r.body.includes(firstKnock));
  }, 30);
  check(`${label} the peer's reply is in the thread`, !!reply, JSON.stringify(reply));
  check(`${label} as plain text`, reply?.body === `Sunday suits us (${firstKnock})`, reply?.body);

  // 5. A member's comment goes to the peer as a Note replying to the Question.
  await root.call("POST", `/api/v1/proposals/${made.id}/comments`, { body: `Saturday for us (${firstKnock})` });
  const note = await until(() => p.events.notes.find((n) => n.content?.includes(firstKnock)), 30);
  check(`${label} the peer received the comment as a Note`, !!note);
  check(`${label} replying to the Question`, note?.inReplyTo === `${base}/ap/proposals/${made.id}`, note?.inReplyTo);

  // 6. The dialect Commune settled on for this peer.
  const instances = await root.call("GET", "/api/v1/admin/federation/instances");
  const known = instances.find((i) => i.host === new URL(p.peerBase).host);
  const expected = refuse ? "cavage" : "rfc9421";
  check(`${label} Commune delivers to this peer in ${expected}`, known?.dialect === expected, JSON.stringify(known));
  if (refuse) check(`${label} after an RFC 9421 knock was refused`, p.events.refused > 0);

  // Stop following (Undo) so the next peer starts afresh.
  p.close();
}

server.kill();
if (failures.length) {
  console.log(`\n${failures.length} check(s) failed; the server log is in ${work}/server.log`);
  process.exit(1);
}
console.log("\nall Fedify checks passed");
process.exit(0);
