"""Benchmark: `commune pb` against pabutools on the largest Pabulib elections, in one run.

For each file and rule, pabutools parses the file and runs the rule in this process (interpreter
start and imports not counted); `commune pb` runs as a whole process (its parsing counted). Both
must select the same projects. Prints one line per run with the ratio pabutools / commune and
exits non-zero when an outcome differs.

  python bench/pb_vs_pabutools.py --commune target/release/commune            # CI size
  python bench/pb_vs_pabutools.py --commune target/release/commune --full     # + mes-add1 (~10 min)
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from pabutools.election import Additive_Cardinal_Sat, ApprovalProfile, Cost_Sat, parse_pabulib
from pabutools.rules import (
    completion_by_rule_combination,
    greedy_utilitarian_welfare,
    method_of_equal_shares,
    sequential_phragmen,
)

LARGEST = ["poland_wroclaw_2015_150-500.pb", "poland_katowice_2020_.pb"]


def pabutools(path, rule):
    started = time.monotonic()
    instance, profile = parse_pabulib(str(path))
    approval = isinstance(profile, ApprovalProfile)
    sat = Cost_Sat if approval else Additive_Cardinal_Sat
    if rule == "greedy":
        outcome = greedy_utilitarian_welfare(instance, profile, sat_class=sat)
    elif rule == "mes":
        outcome = method_of_equal_shares(instance, profile, sat_class=sat)
    elif rule == "phragmen":
        if not approval:
            return None, 0.0
        outcome = sequential_phragmen(instance, profile)
    else:
        outcome = completion_by_rule_combination(
            instance,
            profile,
            [method_of_equal_shares, greedy_utilitarian_welfare],
            [{"sat_class": sat, "voter_budget_increment": 1}, {"sat_class": sat}],
        )
    return sorted(p.name for p in outcome), time.monotonic() - started


def commune(binary, path, rule):
    started = time.monotonic()
    done = subprocess.run([binary, "pb", "--rule", rule, str(path)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)["selected"], time.monotonic() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--commune", required=True)
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "pabulib"))
    parser.add_argument("--full", action="store_true", help="also mes-add1 (pabutools needs ~10 minutes)")
    args = parser.parse_args()
    rules = ["greedy", "mes", "phragmen"] + (["mes-add1"] if args.full else [])
    differ = 0
    ratios = []
    for name in LARGEST:
        path = Path(args.data) / name
        for rule in rules:
            expected, reference_secs = pabutools(path, rule)
            if expected is None:
                continue
            got, secs = commune(args.commune, path, rule)
            same = got == expected
            differ += not same
            ratio = reference_secs / secs
            ratios.append(ratio)
            print(f"{name[:34]:34} {rule:9} pabutools {reference_secs:8.2f} s  commune {secs:6.3f} s  "
                  f"ratio {ratio:7.1f}x  {'same outcome' if same else 'DIFFERENT OUTCOME'}", flush=True)
    print(f"smallest ratio {min(ratios):.1f}x over {len(ratios)} runs; {differ} outcomes differ")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
