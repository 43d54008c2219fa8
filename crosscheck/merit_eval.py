"""Evaluate `commune merit fit` on real ratings: a seeded random 10% holdout of InstEval.

Reports the holdout RMSE of (a) the global mean, (b) each ratee's mean (the global mean for
ratees unseen in training), (c) the model's predictions from `commune merit fit --predict`.
Exits non-zero unless (c) is at least 2% below (b). Standard library only.
"""

import argparse
import csv
import math
import os
import random
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--commune", required=True)
    default = Path(os.environ.get("COMMUNE_TEST_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    parser.add_argument("--ratings", default=str(default / "merit" / "insteval.csv"))
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--holdout", type=float, default=0.1)
    args = parser.parse_args()
    if not Path(args.ratings).exists():
        print(f"merit evaluation: skipped, {args.ratings} not found (set COMMUNE_TEST_DATA)")
        return
    with open(args.ratings, newline="") as f:
        rows = list(csv.DictReader(f))
    rng = random.Random(args.seed)
    rng.shuffle(rows)
    cut = int(len(rows) * args.holdout)
    test, train = rows[:cut], rows[cut:]
    with tempfile.TemporaryDirectory() as tmp:
        train_file, pairs_file = Path(tmp) / "train.csv", Path(tmp) / "pairs.csv"
        with open(train_file, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["rater", "ratee", "score"])
            w.writerows([r["rater"], r["ratee"], r["score"]] for r in train)
        with open(pairs_file, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["rater", "ratee"])
            w.writerows([r["rater"], r["ratee"]] for r in test)
        out = subprocess.run([args.commune, "merit", "fit", "--ratings", str(train_file), "--predict", str(pairs_file)],
                             capture_output=True, text=True, check=True).stdout
    predictions = list(csv.DictReader(out.splitlines()))
    assert len(predictions) == len(test), "one prediction per holdout row"
    for p, r in zip(predictions, test):
        assert (p["rater"], p["ratee"]) == (r["rater"], r["ratee"]), "predictions come in order"
    scores = [float(r["score"]) for r in train]
    global_mean = sum(scores) / len(scores)
    by_ratee = defaultdict(list)
    for r in train:
        by_ratee[r["ratee"]].append(float(r["score"]))
    ratee_mean = {k: sum(v) / len(v) for k, v in by_ratee.items()}
    truth = [float(r["score"]) for r in test]

    def rmse(pred):
        return math.sqrt(sum((p - t) ** 2 for p, t in zip(pred, truth)) / len(truth))

    a = rmse([global_mean] * len(test))
    b = rmse([ratee_mean.get(r["ratee"], global_mean) for r in test])
    c = rmse([float(p["predicted"]) for p in predictions])
    print(f"merit evaluation on {Path(args.ratings).name}: {len(train):,} training ratings, {len(test):,} held out (seed {args.seed})")
    print(f"RMSE global mean {a:.4f} | ratee mean {b:.4f} | model {c:.4f} ({100 * (b - c) / b:.2f}% below ratee mean)")
    ok = c <= 0.98 * b
    print(f"{int(ok)} passed, {int(not ok)} failed")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
