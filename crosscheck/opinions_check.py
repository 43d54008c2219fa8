"""Cross-check `commune opinions` against red-dwarf (the Python reimplementation of Polis's
math) on seeded synthetic conversations with planted opinion groups.

For each conversation: the participants' groups (adjusted Rand index against red-dwarf's groups
and against the planted truth), the consensus statements and each group's representative
statements (set agreement with red-dwarf, groups matched by their members). Prints a summary
and exits non-zero when the agreement falls below the floors given on the command line.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from reddwarf.implementations.polis import run_pipeline
from reddwarf.utils.consensus import select_consensus_statements
from sklearn.metrics import adjusted_rand_score


def conversation(rng, index):
    groups = int(rng.integers(2, 5))
    sizes = rng.integers(8, 30, size=groups)
    statements = int(rng.integers(10, 40))
    missing = float(rng.uniform(0.0, 0.5))
    noise = float(rng.uniform(0.05, 0.3))
    # Each group leans agree or disagree on each statement; a few statements everyone agrees on.
    lean = rng.choice([-1, 1], size=(groups, statements))
    shared = rng.choice(statements, size=max(1, statements // 8), replace=False)
    lean[:, shared] = 1
    votes, truth = [], {}
    pid = 0
    for g, size in enumerate(sizes):
        for _ in range(int(size)):
            truth[pid] = g
            for s in range(statements):
                if rng.random() < missing:
                    continue
                if rng.random() < noise:
                    v = int(rng.choice([-1, 0, 1]))
                else:
                    v = int(lean[g, s])
                votes.append({"participant_id": pid, "statement_id": s, "vote": v})
            pid += 1
    # Some lurkers with only a few votes (no group, as in Polis).
    for _ in range(int(rng.integers(0, 6))):
        for s in rng.choice(statements, size=int(rng.integers(1, 7)), replace=False):
            votes.append({"participant_id": pid, "statement_id": int(s), "vote": int(rng.choice([-1, 0, 1]))})
        pid += 1
    rng.shuffle(votes)
    return votes, truth


def ours(commune, votes):
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, newline="") as f:
        w = csv.writer(f)
        w.writerow(["participant", "statement", "vote"])
        for v in votes:
            w.writerow([v["participant_id"], v["statement_id"], v["vote"]])
        path = f.name
    try:
        out = subprocess.run([commune, "opinions", "--votes", path], check=True, capture_output=True, text=True)
    finally:
        os.unlink(path)
    return json.loads(out.stdout)


def jaccard(a, b):
    a, b = set(a), set(b)
    return 1.0 if not a and not b else len(a & b) / len(a | b)


def consensus_agreement(matrix, mine, pick_max=5):
    """1.0 when our consensus statements are red-dwarf's up to exact ties at the cut (red-dwarf
    breaks ties by an unstable sort, we by statement id); otherwise the Jaccard index."""
    full = select_consensus_statements(matrix, pick_max=10_000)
    ref_top = []
    allowed = set()
    for direction in ("agree", "disagree"):
        ranked = [(s["tid"], round(s["p-success"] * s["p-test"], 12)) for s in full[direction]]
        top = ranked[:pick_max]
        ref_top += [t for t, _ in top]
        if len(ranked) > pick_max:
            cut = top[-1][1]
            allowed |= {t for t, m in ranked if m >= cut}
        else:
            allowed |= {t for t, _ in ranked}
    strict = {t for t in ref_top if t not in allowed} | set(ref_top) - allowed
    if len(mine) == len(ref_top) and set(mine) <= allowed and not strict:
        return 1.0
    return jaccard(ref_top, mine)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--commune", required=True)
    ap.add_argument("--conversations", type=int, default=60)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--min-ari", type=float, default=0.9, help="floor on the mean ARI with red-dwarf")
    ap.add_argument("--min-sets", type=float, default=0.9, help="floor on the mean consensus/repness agreement")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    ari_ref, ari_truth_ours, ari_truth_ref, cons, reps, same_k = [], [], [], [], [], 0
    exact = 0
    for i in range(args.conversations):
        votes, truth = conversation(rng, i)
        mine = ours(args.commune, votes)
        ref = run_pipeline(votes=[dict(v, modified=0) for v in votes], random_state=0)
        ref_groups = {int(p): int(g) for p, g in ref.participants_df["cluster_id"].dropna().items()}
        mine_groups = {int(p): int(g) for p, g in mine["groups"].items()}
        if set(ref_groups) != set(mine_groups):
            print(f"conversation {i}: clustered participants differ", file=sys.stderr)
        common = sorted(set(ref_groups) & set(mine_groups))
        a = adjusted_rand_score([ref_groups[p] for p in common], [mine_groups[p] for p in common])
        ari_ref.append(a)
        ari_truth_ours.append(adjusted_rand_score([truth[p] for p in common], [mine_groups[p] for p in common]))
        ari_truth_ref.append(adjusted_rand_score([truth[p] for p in common], [ref_groups[p] for p in common]))
        k_ref, k_ours = len(set(ref_groups.values())), len(set(mine_groups.values()))
        same_k += k_ref == k_ours
        cons.append(consensus_agreement(ref.raw_vote_matrix, mine["consensus"]))
        # Match each of our groups to red-dwarf's group holding most of its members.
        rep_scores = []
        for g, ids in mine["repness"].items():
            members = [p for p, gg in mine_groups.items() if gg == int(g)]
            counts = {}
            for p in members:
                if p in ref_groups:
                    counts[ref_groups[p]] = counts.get(ref_groups[p], 0) + 1
            if not counts:
                continue
            rg = max(counts, key=counts.get)
            ref_ids = [s["tid"] for s in ref.repness.get(rg, [])]
            rep_scores.append(jaccard(ref_ids, ids))
        reps.append(float(np.mean(rep_scores)) if rep_scores else 1.0)
        exact += a == 1.0 and cons[-1] == 1.0 and reps[-1] == 1.0
        if a < 1.0 or cons[-1] < 1.0 or reps[-1] < 1.0:
            print(f"conversation {i}: ARI {a:.3f}, k {k_ours} vs {k_ref}, consensus {cons[-1]:.2f}, repness {reps[-1]:.2f}", file=sys.stderr)
    n = args.conversations
    summary = {
        "conversations": n,
        "identical_results": exact,
        "same_group_count": same_k,
        "mean_ari_with_red_dwarf": round(float(np.mean(ari_ref)), 4),
        "min_ari_with_red_dwarf": round(float(np.min(ari_ref)), 4),
        "mean_ari_ours_with_planted": round(float(np.mean(ari_truth_ours)), 4),
        "mean_ari_red_dwarf_with_planted": round(float(np.mean(ari_truth_ref)), 4),
        "mean_consensus_agreement": round(float(np.mean(cons)), 4),
        "mean_repness_agreement": round(float(np.mean(reps)), 4),
    }
    print(json.dumps(summary, indent=2))
    if summary["mean_ari_with_red_dwarf"] < args.min_ari or min(summary["mean_consensus_agreement"], summary["mean_repness_agreement"]) < args.min_sets:
        print("agreement with red-dwarf below the floor", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
