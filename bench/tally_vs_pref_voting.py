"""Benchmark: `commune tally` against pref_voting on the same PrefLib file (beat_path uses its default Floyd–Warshall algorithm).

Writes one seeded impartial-culture profile (default: 1,000,000 ballots over 10 alternatives,
identical orders merged into counts), then for Schulze (beat_path), instant runoff and Borda
times `commune tally` as a whole process (reading and parsing included) and pref_voting reading
the file with its own PrefLib reader plus computing the winners. Winner sets must be identical.
Reports ratios measured in this one run; it asserts no time.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from pref_voting.io.readers import preflib_to_profile
from pref_voting.iterative_methods import instant_runoff
from pref_voting.margin_based_methods import beat_path
from pref_voting.scoring_methods import borda

METHODS = [("schulze", beat_path), ("irv", instant_runoff), ("borda", borda)]


def write_profile(path, ballots, alternatives, seed):
    rng = np.random.default_rng(seed)
    orders = rng.permuted(np.tile(np.arange(1, alternatives + 1, dtype=np.int16), (ballots, 1)), axis=1)
    unique, counts = np.unique(orders, axis=0, return_counts=True)
    with open(path, "w") as f:
        f.write(f"# DATA TYPE: soc\n# NUMBER ALTERNATIVES: {alternatives}\n")
        for a in range(1, alternatives + 1):
            f.write(f"# ALTERNATIVE NAME {a}: Alternative {a}\n")
        f.write(f"# NUMBER VOTERS: {ballots}\n# NUMBER UNIQUE ORDERS: {len(unique)}\n")
        for order, count in zip(unique, counts):
            f.write(f"{count}: {','.join(map(str, order))}\n")
    return len(unique)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--commune", required=True)
    parser.add_argument("--ballots", type=int, default=1_000_000)
    parser.add_argument("--alternatives", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.soc"
        unique = write_profile(path, args.ballots, args.alternatives, args.seed)
        size_mb = path.stat().st_size / 1e6
        print(f"profile: {args.ballots:,} ballots, {args.alternatives} alternatives, {unique:,} distinct orders, {size_mb:.1f} MB")
        started = time.perf_counter()
        profile = preflib_to_profile(str(path), as_linear_profile=True)
        read_s = time.perf_counter() - started
        print(f"pref_voting read the file in {read_s:.2f} s")
        results = {}
        for name, method in METHODS:
            started = time.perf_counter()
            out = subprocess.run([args.commune, "tally", "--method", name, str(path)], capture_output=True, text=True, check=True)
            commune_s = time.perf_counter() - started
            ours = json.loads(out.stdout)["winners"]
            started = time.perf_counter()
            theirs = sorted(int(c) + 1 for c in method(profile))
            compute_s = time.perf_counter() - started
            same = ours == theirs
            total_ratio = (read_s + compute_s) / commune_s
            compute_ratio = compute_s / commune_s
            results[name] = {"commune_s": commune_s, "pref_voting_read_s": read_s, "pref_voting_compute_s": compute_s,
                             "ratio_including_read": total_ratio, "ratio_compute_only": compute_ratio, "same_winners": same}
            print(f"{name:8} commune {commune_s:6.3f} s (whole process) | pref_voting {read_s + compute_s:7.2f} s "
                  f"({compute_s:.2f} s computing) | {total_ratio:6.1f}x faster ({compute_ratio:.1f}x against compute alone) | "
                  f"winners {'identical' if same else f'DIFFER: {ours} vs {theirs}'}")
        print(json.dumps(results))
        if not all(r["same_winners"] for r in results.values()):
            sys.exit(1)


if __name__ == "__main__":
    main()
