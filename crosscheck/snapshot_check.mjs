// Cross-check `commune tally --format snapshot` against snapshot.js's own getScores():
// snapshot.js's example votes for every type, then seeded random weighted ballots of all six
// types (valid and invalid votes mixed, as real proposals get them). Every score must agree
// within 1e-9 relative. Prints a closing 'N passed, N failed' line; exits non-zero on failure.
import snapshot from '@snapshot-labs/snapshot.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createRequire } from 'node:module';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const commune = args.commune;
const perType = Number(args['per-type'] ?? 100);
if (!commune) throw new Error('usage: node snapshot_check.mjs --commune=PATH [--per-type=N] [--seed=N]');

const voting = snapshot.utils.voting;
const TYPES = ['single-choice', 'approval', 'quadratic', 'ranked-choice', 'weighted', 'copeland'];
const EXAMPLE = { singleChoice: 'single-choice', approval: 'approval', quadratic: 'quadratic',
  rankedChoice: 'ranked-choice', weighted: 'weighted', copeland: 'copeland' };

// mulberry32: a small seeded generator, so every run checks the same ballots.
let state = Number(args.seed ?? 20261128) >>> 0;
function rand() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = (xs) => xs[int(0, xs.length - 1)];
function shuffle(xs) {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) { const j = int(0, i); [a[i], a[j]] = [a[j], a[i]]; }
  return a;
}
const balance = () => pick([() => int(0, 1000), () => Math.round(rand() * 1e6) / 1e3, () => rand() * 1e4, () => 1])();

function randomChoice(type, n) {
  const perm = shuffle(Array.from({ length: n }, (_, i) => i + 1));
  const bad = rand() < 0.15;
  switch (type) {
    case 'single-choice':
      return bad ? pick([0, n + 1, 1.5, '1', -1]) : int(1, n);
    case 'approval':
      return bad ? pick([[1, 1], [n + 1], [0, 1], ['2'], []]) : perm.slice(0, int(0, n));
    case 'ranked-choice':
    case 'copeland':
      return bad ? pick([perm.slice(0, Math.max(1, n - 1)), [...perm.slice(0, n - 1), perm[0]], [], perm.map((x) => x + 0.5)]) : perm;
    default: {
      if (bad) return pick([{}, { [n + 1]: 1 }, { 1: -1 }, { 1: 0 }, [1, 2]]);
      const chosen = perm.slice(0, int(1, n));
      return Object.fromEntries(chosen.map((c) => [String(c), pick([int(0, 10), rand() * 5, 1])]));
    }
  }
}

function randomDocument(type) {
  const n = int(2, 8);
  const votes = Array.from({ length: int(0, 150) }, () => {
    const b = balance();
    return { choice: randomChoice(type, n), balance: b, scores: [b] };
  });
  // Some weighted/quadratic votes must have at least one positive value to be valid.
  return { proposal: { choices: Array.from({ length: n }, (_, i) => `choice ${i + 1}`) },
    strategies: [{ name: 'ticket', network: '1', params: {} }], votes };
}

function reference(type, doc) {
  const Voting = voting[type];
  return new Voting(doc.proposal, doc.votes, doc.strategies, undefined).getScores();
}

const close = (a, b) => a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));

const dir = mkdtempSync(join(tmpdir(), 'commune-snapshot-'));
let passed = 0, failed = 0, documents = 0;
function check(type, doc, label) {
  documents++;
  const expected = reference(type, doc);
  const file = join(dir, 'doc.json');
  writeFileSync(file, JSON.stringify(doc));
  let got;
  try {
    got = JSON.parse(execFileSync(commune, ['tally', '--format', 'snapshot', '--method', type, file], { encoding: 'utf8' })).scores;
  } catch (e) {
    failed++;
    console.log(`FAIL ${label} ${type}: ${e.stderr || e.message}`);
    return;
  }
  const ok = got.length === expected.length && got.every((g, i) => close(g, expected[i]));
  if (ok) { passed++; return; }
  failed++;
  console.log(`FAIL ${label} ${type}: commune ${JSON.stringify(got)} vs snapshot.js ${JSON.stringify(expected)}\n${JSON.stringify(doc)}`);
}

const require = createRequire(import.meta.url);
const examples = join(dirname(require.resolve('@snapshot-labs/snapshot.js/package.json')), 'src/voting/examples');
for (const name of readdirSync(examples).filter((f) => f.endsWith('.json'))) {
  const type = EXAMPLE[name.replace('.json', '')];
  check(type, JSON.parse(readFileSync(join(examples, name), 'utf8')), `example ${name}`);
}
for (const type of TYPES) {
  for (let k = 0; k < perType; k++) check(type, randomDocument(type), `random #${k}`);
}
rmSync(dir, { recursive: true, force: true });
console.log(`snapshot.js ${snapshot.version ?? '0.17.5'} cross-check: ${documents} documents (6 examples + ${perType} random per type)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
