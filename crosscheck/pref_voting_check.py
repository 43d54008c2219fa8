"""Cross-check `commune tally` against pref_voting on seeded random profiles.

Profiles: impartial culture, Mallows and urn; 3 to 8 alternatives; 1 to 1,000 voters (identical
orders merged into PrefLib counts, so the counts act as weights). For each profile, every method's
winner set from `commune tally` must equal pref_voting's. Prints one line per disagreement and a
closing 'N passed, N failed' line; exits non-zero on any disagreement.

Ranked pairs in pref_voting enumerates every tie-breaking order of equal margins; when that number
is huge the reference cannot finish, so such profiles use pref_voting's stack algorithm (an equal
characterisation) for up to 6 alternatives and are otherwise reported as skipped.
"""

import argparse
import json
import math
import random
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from pref_voting.c1_methods import copeland
from pref_voting.generate_profiles import generate_profile
from pref_voting.iterative_methods import instant_runoff
from pref_voting.margin_based_methods import beat_path, minimax, ranked_pairs
from pref_voting.scoring_methods import borda, plurality

METHODS = {
    "plurality": plurality,
    "borda": borda,
    "irv": instant_runoff,
    "schulze": beat_path,
    "copeland": copeland,
    "ranked-pairs": ranked_pairs,
    "minimax": minimax,
}
MAX_TIEBREAK_ORDERS = 20_000


def random_profile(rng, seed):
    n = rng.randint(3, 8)
    voters = rng.choice([rng.randint(1, 12), rng.randint(1, 100), rng.randint(1, 1000)])
    culture = rng.choice(["IC", "MALLOWS", "URN"])
    kwargs = {"probmodel": culture, "seed": seed}
    if culture == "MALLOWS":
        kwargs["phi"] = rng.uniform(0.2, 1.0)
    if culture == "URN":
        kwargs["alpha"] = rng.choice([0.1, 0.5, 1.0, 5.0])
    return generate_profile(n, voters, **kwargs), culture


def write_soc(profile, path):
    rankings, counts = profile.rankings_counts
    merged = Counter()
    for ranking, count in zip(rankings, counts):
        merged[tuple(int(c) + 1 for c in ranking)] += int(count)
    lines = [
        "# DATA TYPE: soc",
        f"# NUMBER ALTERNATIVES: {profile.num_cands}",
        f"# NUMBER VOTERS: {sum(merged.values())}",
        f"# NUMBER UNIQUE ORDERS: {len(merged)}",
    ]
    lines += [f"{count}: {','.join(map(str, order))}" for order, count in merged.items()]
    path.write_text("\n".join(lines) + "\n")


def tiebreak_orders(profile):
    cands = profile.candidates
    strengths = Counter(
        profile.margin(a, b) for a in cands for b in cands if a != b and profile.margin(a, b) >= 0
    )
    return math.prod(math.factorial(k) for k in strengths.values())


def reference(method, profile):
    if method == "ranked-pairs" and profile.condorcet_winner() is None:
        if tiebreak_orders(profile) > MAX_TIEBREAK_ORDERS:
            if profile.num_cands > 6:
                return None
            return sorted(int(c) + 1 for c in ranked_pairs(profile, algorithm="from_stacks"))
    return sorted(int(c) + 1 for c in METHODS[method](profile))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--commune", required=True, help="path to the commune binary")
    parser.add_argument("--profiles", type=int, default=500)
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    passed = failed = skipped = 0
    cultures = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.profiles):
            profile, culture = random_profile(rng, args.seed + k)
            cultures[culture] += 1
            path = Path(tmp) / f"p{k}.soc"
            write_soc(profile, path)
            for method in METHODS:
                expected = reference(method, profile)
                if expected is None:
                    skipped += 1
                    continue
                out = subprocess.run(
                    [args.commune, "tally", "--method", method, str(path)],
                    capture_output=True, text=True, check=False,
                )
                if out.returncode != 0:
                    failed += 1
                    print(f"FAIL profile {k} {method}: exit {out.returncode}: {out.stderr.strip()}")
                    continue
                got = json.loads(out.stdout)["winners"]
                if got == expected:
                    passed += 1
                else:
                    failed += 1
                    print(f"FAIL profile {k} ({culture}, {profile.num_cands} alternatives, {profile.num_voters} voters) "
                          f"{method}: commune {got} vs pref_voting {expected}; file:\n{path.read_text()}")
    print(f"pref_voting cross-check: {args.profiles} profiles ({dict(cultures)}), 7 methods, "
          f"{skipped} ranked-pairs comparisons skipped (reference intractable)")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
