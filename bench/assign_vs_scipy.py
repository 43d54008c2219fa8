"""Benchmark: `commune assign` against pandas.read_csv + scipy.optimize.linear_sum_assignment on
one dense random cost matrix read from CSV, in the same run. Both read the same file and solve
it; the optimum must be the same. Prints both times (the best of --repeat runs) and the ratio
reference / commune (above 1: Commune is faster).
"""

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--commune", required=True)
    ap.add_argument("--size", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20261130)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    m = rng.random((args.size, args.size)) * 1000
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "costs.csv"
        np.savetxt(path, m, delimiter=",", fmt="%.6f")
        mb = path.stat().st_size / 1e6
        ours, theirs, got, want = [], [], None, None
        for _ in range(args.repeat):
            t = time.perf_counter()
            out = subprocess.run([args.commune, "assign", "--costs", path], capture_output=True, text=True, check=True)
            ours.append(time.perf_counter() - t)
            got = json.loads(out.stdout)["total"]
            t = time.perf_counter()
            frame = pd.read_csv(path, header=None)
            r, c = linear_sum_assignment(frame.to_numpy())
            want = float(frame.to_numpy()[r, c].sum())
            theirs.append(time.perf_counter() - t)
    same = math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-6)
    print(f"{args.size} x {args.size} matrix ({mb:.1f} MB of CSV), best of {args.repeat}")
    print(f"  commune assign:                       {min(ours):.3f} s   total {got:.6f}")
    print(f"  pandas.read_csv + linear_sum_assignment: {min(theirs):.3f} s   total {want:.6f}")
    print(json.dumps({"size": args.size, "commune_s": round(min(ours), 4), "reference_s": round(min(theirs), 4),
                      "ratio_reference_over_commune": round(min(theirs) / min(ours), 3), "same_optimum": same}))
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
