"""Cross-check the work module's offline tools against independent implementations.

  commune match   vs the Python package `matching` (HospitalResident, resident-optimal) on seeded
                  random instances with capacities, one-sided listings, unknown ids (removed
                  before `matching` sees them: it cannot read them; Commune must ignore them) and
                  capacity-0 tasks. Every task must hold the same people.
  commune assign  vs scipy.optimize.linear_sum_assignment on seeded random matrices (square and
                  rectangular both ways, integer ties, floats, --maximize, forbidden +inf pairs):
                  the same optimal total, a valid assignment, and the printed total equal to the
                  sum of the printed pairs.
  commune skill fit  on synthetic 2PL data with known parameters: the predicted probabilities
                  must track the true ones (mean absolute error and correlation bounds).
Exits non-zero on any disagreement.
"""

import argparse
import csv
import json
import math
import random
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
from matching.games import HospitalResident
from scipy.optimize import linear_sum_assignment


def run(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed: {out.stderr.strip()}")
    return out.stdout


def check_match(commune, rng, tmp, cases):
    bad = 0
    for case in range(cases):
        n_people, n_tasks = rng.randint(1, 14), rng.randint(1, 6)
        people = [f"p{k}" for k in range(n_people)]
        tasks = [f"t{k}" for k in range(n_tasks)]
        ppref = {p: rng.sample(tasks, rng.randint(0, n_tasks)) for p in people}
        tpref = {t: rng.sample(people, rng.randint(0, n_people)) for t in tasks}
        cap = {t: rng.randint(0 if case % 7 == 0 else 1, 3) for t in tasks}
        # Unknown ids only Commune sees.
        raw_p = {p: list(v) + (["ghost"] if rng.random() < 0.2 else []) for p, v in ppref.items()}
        raw_t = {t: (["nobody"] if rng.random() < 0.2 else []) + list(v) for t, v in tpref.items()}
        pf, tf = tmp / "p.csv", tmp / "t.csv"
        with pf.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["person", "preferences"])
            for p in people:
                w.writerow([p, " ".join(raw_p[p])])
        with tf.open("w", newline="") as f:
            w = csv.writer(f)
            if case % 2:
                w.writerow(["task", "capacity", "preferences"])
            for t in tasks:
                w.writerow([t, cap[t], " ".join(raw_t[t])])
        got = json.loads(run([commune, "match", "--people", pf, "--tasks", tf]))["matching"]
        live = {t for t in tasks if cap[t] > 0}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rp = {p: [t for t in ppref[p] if t in live] for p in people}
            hp = {t: tpref[t] for t in live}
            if live:
                game = HospitalResident.create_from_dictionaries(rp, hp, {t: cap[t] for t in live}, clean=True)
                solved = game.solve(optimal="resident")
                want = {h.name: sorted(r.name for r in rs) for h, rs in solved.items()}
            else:
                want = {}
        want = {t: want.get(t, []) for t in tasks}
        if got != want:
            bad += 1
            print(f"match case {case}: commune {got} != matching {want}")
    print(f"match: {cases - bad} agreed, {bad} disagreed")
    return bad


def check_assign(commune, rng, tmp, cases):
    bad = 0
    for case in range(cases):
        rows, cols = rng.randint(1, 40), rng.randint(1, 40)
        maximize = case % 4 == 1
        if case % 3 == 0:
            m = np.array([[rng.randint(0, 5) for _ in range(cols)] for _ in range(rows)], dtype=float)
        else:
            m = np.array([[rng.uniform(-100, 100) for _ in range(cols)] for _ in range(rows)])
        if case % 5 == 2 and not maximize:
            for _ in range(rows * cols // 10):
                m[rng.randrange(rows), rng.randrange(cols)] = math.inf
        path = tmp / "c.csv"
        with path.open("w") as f:
            for row in m:
                f.write(",".join("inf" if math.isinf(x) else repr(float(x)) for x in row) + "\n")
        try:
            r, c = linear_sum_assignment(m, maximize=maximize)
            want = float(m[r, c].sum())
        except ValueError:
            want = None
        cmd = [commune, "assign", "--costs", path] + (["--maximize"] if maximize else [])
        out = subprocess.run(cmd, capture_output=True, text=True)
        if want is None:
            if out.returncode == 0:
                bad += 1
                print(f"assign case {case}: scipy found it infeasible, commune answered {out.stdout.strip()}")
            continue
        if out.returncode != 0:
            bad += 1
            print(f"assign case {case}: commune failed: {out.stderr.strip()}")
            continue
        got = json.loads(out.stdout)
        pairs = got["pairs"]
        used_r, used_c = {p[0] for p in pairs}, {p[1] for p in pairs}
        total = sum(m[p[0], p[1]] for p in pairs)
        ok = (
            len(pairs) == min(rows, cols)
            and len(used_r) == len(pairs)
            and len(used_c) == len(pairs)
            and math.isclose(got["total"], want, rel_tol=1e-9, abs_tol=1e-7)
            and math.isclose(total, got["total"], rel_tol=1e-9, abs_tol=1e-7)
        )
        if not ok:
            bad += 1
            print(f"assign case {case} ({rows}x{cols}, maximize={maximize}): commune {got['total']} vs scipy {want}")
    print(f"assign: {cases - bad} agreed, {bad} disagreed")
    return bad


def check_skill(commune, rng, tmp):
    people, items = 800, 20
    theta = [rng.gauss(0, 1) for _ in range(people)]
    a = [rng.uniform(0.6, 2.0) for _ in range(items)]
    b = [rng.uniform(-2, 2) for _ in range(items)]
    prob = lambda p, i: 1 / (1 + math.exp(-a[i] * (theta[p] - b[i])))
    resp, pred = tmp / "r.csv", tmp / "q.csv"
    held = []
    with resp.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["person", "item", "outcome"])
        for p in range(people):
            for i in range(items):
                if rng.random() < 0.1:
                    held.append((p, i))
                    continue
                w.writerow([f"u{p}", f"q{i}", int(rng.random() < prob(p, i))])
    with pred.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["person", "item"])
        for p, i in held:
            w.writerow([f"u{p}", f"q{i}"])
        w.writerow(["stranger", "q0"])
    lines = list(csv.reader(run([commune, "skill", "fit", "--responses", resp, "--predict", pred]).splitlines()))
    assert lines[0] == ["person", "item", "p"], lines[0]
    got = [float(x[2]) for x in lines[1:-1]]
    truth = [prob(p, i) for p, i in held]
    mae = sum(abs(g - t) for g, t in zip(got, truth)) / len(truth)
    corr = float(np.corrcoef(got, truth)[0, 1])
    ok = len(got) == len(held) and mae < 0.08 and corr > 0.9 and lines[-1][:2] == ["stranger", "q0"]
    print(f"skill fit: {len(held)} held-out cells, mean |p - true p| = {mae:.4f}, correlation {corr:.4f}")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--commune", required=True)
    ap.add_argument("--match-cases", type=int, default=600)
    ap.add_argument("--assign-cases", type=int, default=400)
    ap.add_argument("--seed", type=int, default=20261130)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        bad = check_match(args.commune, rng, tmp, args.match_cases)
        bad += check_assign(args.commune, rng, tmp, args.assign_cases)
        bad += check_skill(args.commune, rng, tmp)
    print("work cross-check:", "all agreed" if bad == 0 else f"{bad} disagreements")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
