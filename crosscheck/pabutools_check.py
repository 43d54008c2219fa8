"""Cross-check `commune pb` against pabutools on every Pabulib election in ../shared/data/pabulib and
on seeded random elections.

Rules and their pabutools definitions (Cost_Sat for approval, Additive_Cardinal_Sat for cumulative,
pabutools' default lexicographic tie-breaking):
  greedy        greedy_utilitarian_welfare
  mes           method_of_equal_shares
  mes-add1      completion_by_rule_combination([MES with voter_budget_increment=1, greedy])
  phragmen      sequential_phragmen (approval only)
  equal-shares  equalshares.net's Add1u built on pabutools' MES: per-voter budget floor(B/n), raised
                one unit while the outcome fits B, then completion by vote count; ties to more
                votes, then lower cost, then the smaller id. Must also reproduce the official
                `selected` column of the Wieliczka 2023 file.
On the real elections equal-shares is checked against Wieliczka's official outcome (the reference
composition is too slow for the rest), mes-add1 is skipped above --add1-max-voters (pabutools needs
about nine minutes on the largest election), and a pabutools call running past --timeout seconds
is reported as skipped. Prints one line per disagreement and a
closing count; exits non-zero on any disagreement.
"""

import argparse
import json
import multiprocessing
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pabutools.election import (
    Additive_Cardinal_Sat,
    ApprovalProfile,
    Cost_Sat,
    parse_pabulib,
)
from pabutools.rules import (
    completion_by_rule_combination,
    greedy_utilitarian_welfare,
    method_of_equal_shares,
    sequential_phragmen,
)
from pabutools.tiebreaking import TieBreakingRule

RULES = ["greedy", "mes", "mes-add1", "phragmen", "equal-shares"]


def equal_shares(instance, profile, sat):
    """equalshares.net's Add1u on top of pabutools' MES (budget per voter = budget_limit / n)."""
    from copy import deepcopy

    n = profile.num_ballots()
    budget = instance.budget_limit
    if isinstance(profile, ApprovalProfile):
        support = {p: profile.approval_score(p) for p in instance}
    else:
        support = {p: sum(ballot.get(p, 0) for ballot in profile) for p in instance}
    tie = TieBreakingRule(lambda inst, prof, p: (-support[p], p.cost, p.name))

    def run(per_voter):
        scaled = deepcopy(instance)
        scaled.budget_limit = per_voter * n
        return method_of_equal_shares(scaled, profile, sat_class=sat, tie_breaking=tie)

    def cost(outcome):
        return sum(p.cost for p in outcome)

    candidates = {p for p in instance if p.cost > 0 and support[p] > 0}
    per_voter = (budget // n) if n else 0
    outcome = run(per_voter) if n else []
    while n and not candidates <= set(outcome):
        following = run(per_voter + 1)
        if cost(following) > budget:
            break
        per_voter, outcome = per_voter + 1, following
    chosen = list(outcome)
    spent = cost(chosen)
    order = list(instance)
    order.sort(key=lambda p: instance_order[p.name])
    order.sort(key=lambda p: -support[p])
    for p in order:
        if p not in chosen and spent + p.cost <= budget:
            chosen.append(p)
            spent += p.cost
    return chosen


instance_order = {}


def reference(path, rule):
    instance, profile = parse_pabulib(str(path))
    instance_order.clear()
    instance_order.update({name: i for i, name in enumerate(project_ids(path))})
    approval = isinstance(profile, ApprovalProfile)
    sat = Cost_Sat if approval else Additive_Cardinal_Sat
    if rule == "greedy":
        outcome = greedy_utilitarian_welfare(instance, profile, sat_class=sat)
    elif rule == "mes":
        outcome = method_of_equal_shares(instance, profile, sat_class=sat)
    elif rule == "phragmen":
        outcome = sequential_phragmen(instance, profile)
    elif rule == "mes-add1":
        outcome = completion_by_rule_combination(
            instance,
            profile,
            [method_of_equal_shares, greedy_utilitarian_welfare],
            [{"sat_class": sat, "voter_budget_increment": 1}, {"sat_class": sat}],
        )
    else:
        outcome = equal_shares(instance, profile, sat)
    return sorted(p.name for p in outcome)


def project_ids(path):
    """Project ids in file order (equalshares.net completes ties in file order)."""
    ids, section, header = [], None, False
    for line in Path(path).read_text(encoding="utf-8-sig").splitlines():
        first = line.split(";")[0].strip().lower()
        if first in ("meta", "projects", "votes"):
            section, header = first, True
            continue
        if header:
            header = False
            continue
        if section == "projects" and line.strip():
            ids.append(line.split(";")[0].strip())
    return ids


def _worker(queue, path, rule):
    try:
        queue.put(("ok", reference(path, rule)))
    except Exception as error:  # reported, never hidden
        queue.put(("error", repr(error)))


def reference_with_timeout(path, rule, timeout):
    queue = multiprocessing.Queue()
    process = multiprocessing.Process(target=_worker, args=(queue, path, rule))
    started = time.monotonic()
    process.start()
    process.join(timeout)
    if process.is_alive():
        process.kill()
        process.join()
        return None, timeout
    status, value = queue.get()
    if status != "ok":
        raise RuntimeError(value)
    return value, time.monotonic() - started


def commune(binary, path, rule):
    started = time.monotonic()
    done = subprocess.run([binary, "pb", "--rule", rule, str(path)], capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        return None, done.stderr.strip(), elapsed
    return json.loads(done.stdout), None, elapsed


def vote_type(path):
    for line in Path(path).read_text(encoding="utf-8-sig").splitlines():
        if line.startswith("vote_type;"):
            return line.split(";")[1].strip()
    return None


def random_election(rng, seed, directory):
    """A small election built to tie: few distinct costs, few voters, ids that sort as strings."""
    cumulative = rng.random() < 0.4
    count = rng.randint(1, 10)
    ids = rng.sample([str(i) for i in range(1, 30)], count)
    costs = {p: rng.choice([1, 2, 3, 5, 8, 10, 10, 20]) * rng.choice([1, 1, 10, 100]) for p in ids}
    budget = rng.randint(1, max(1, sum(costs.values())))
    lines = ["META", "key;value", f"description;random {seed}", f"num_projects;{count}"]
    voters = rng.randint(0, 40)
    lines += [f"num_votes;{voters}", f"budget;{budget}"]
    lines += ["vote_type;cumulative" if cumulative else "vote_type;approval"]
    lines += ["PROJECTS", "project_id;cost"] + [f"{p};{costs[p]}" for p in ids]
    lines += ["VOTES", "voter_id;vote;points" if cumulative else "voter_id;vote"]
    for v in range(voters):
        chosen = [p for p in ids if rng.random() < rng.choice([0.2, 0.5])]
        if cumulative:
            points = [str(rng.randint(1, 3)) for _ in chosen]
            lines.append(f"{v};{','.join(chosen)};{','.join(points)}" if chosen else f"{v};none;none")
        else:
            lines.append(f"{v};{','.join(chosen)}")
    path = Path(directory) / f"random-{seed}.pb"
    path.write_text("\n".join(lines) + "\n")
    return path, cumulative


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--commune", required=True)
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "pabulib"))
    parser.add_argument("--random", type=int, default=400, help="random elections (each runs every rule)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds a pabutools call may take")
    parser.add_argument("--add1-max-voters", type=int, default=100_000,
                        help="skip mes-add1 on larger files (pabutools needs ~9 minutes on 131,778 voters)")
    parser.add_argument("--seed", type=int, default=20261129)
    args = parser.parse_args()

    passed = failed = skipped = 0
    counts = {}

    def check(label, rule, path, timeout=None):
        nonlocal passed, failed, skipped
        if timeout is None:
            started = time.monotonic()
            expected, reference_secs = reference(path, rule), None
            reference_secs = time.monotonic() - started
        else:
            expected, reference_secs = reference_with_timeout(path, rule, timeout)
        if expected is None:
            skipped += 1
            print(f"skipped {label} {rule}: pabutools took over {args.timeout:.0f} s", flush=True)
            return
        got, error, secs = commune(args.commune, path, rule)
        if got is not None and got["selected"] == expected:
            passed += 1
            counts[rule] = counts.get(rule, 0) + 1
        else:
            failed += 1
            print(f"DISAGREE {label} {rule}: commune {got['selected'] if got else error} != pabutools {expected}")
        return reference_secs, secs

    files = sorted(Path(args.data).glob("*.pb"))
    for path in files:
        kind = vote_type(path)
        if kind == "ordinal":
            continue
        voters = sum(1 for _ in open(path, encoding="utf-8-sig")) - len(project_ids(path))
        for rule in RULES:
            if rule == "phragmen" and kind != "approval":
                continue
            if rule == "equal-shares":
                continue  # real data: the official Wieliczka outcome below; random elections after
            if rule == "mes-add1" and voters > args.add1_max_voters:
                skipped += 1
                print(f"skipped {path.name} mes-add1: over {args.add1_max_voters} voters (--add1-max-voters)")
                continue
            timing = check(path.name, rule, path, args.timeout)
            if timing:
                print(f"ok {path.name[:48]:48} {rule:12} pabutools {timing[0]:7.2f} s, commune {timing[1]:6.2f} s",
                      flush=True)

    wieliczka = Path(args.data) / "poland_wieliczka_2023_green-budget.pb"
    if wieliczka.exists():
        got, error, _ = commune(args.commune, wieliczka, "equal-shares")
        official = []
        header = None
        for line in wieliczka.read_text(encoding="utf-8-sig").splitlines():
            if line == "PROJECTS":
                header = []
                continue
            if line == "VOTES":
                break
            if header == []:
                header = line.split(";")
                continue
            if header:
                row = line.split(";")
                if row[header.index("selected")] == "1":
                    official.append(row[0])
        if got is not None and got["selected"] == sorted(official) and got.get("matches_file_selection"):
            passed += 1
            print(f"ok Wieliczka 2023 official selection: {len(official)} projects, cost {got['cost']}")
        else:
            failed += 1
            print(f"DISAGREE Wieliczka 2023 official selection: {got or error} != {sorted(official)}")

    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as directory:
        for seed in range(args.random):
            path, cumulative = random_election(rng, seed, directory)
            for rule in RULES:
                if rule == "phragmen" and cumulative:
                    continue
                check(f"random-{seed}", rule, path)
    print(f"per rule: {json.dumps(counts)}")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
