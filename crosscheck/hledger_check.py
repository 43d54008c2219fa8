#!/usr/bin/env python3
"""Re-derives every ledger balance with hledger (an independent double-entry implementation).

Builds two databases with the commune binary: the demo commune (six months of revenue, funnel
shares, payments, invoices, holds) and a seeded benchmark workload (random transfers between
many accounts). For each, exports the plain-text journal, asks hledger for every account's
cleared (posted) and pending balance, and compares them with the ledger's own stored balances
(`commune ledger balances`). Exits non-zero on any difference.
"""
import argparse
import csv
import io
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path


def run(*args: str) -> str:
    out = subprocess.run(args, check=True, capture_output=True, text=True)
    return out.stdout


def hledger_balances(journal: Path, flag: str) -> dict:
    text = run("hledger", "-f", str(journal), "balance", flag, "--flat", "--no-total", "-O", "csv", "--layout=bare")
    rows = list(csv.reader(io.StringIO(text)))
    return {(r[0], r[1]): Decimal(r[2]) for r in rows[1:] if len(r) == 3}


def check(commune: str, url: str, label: str) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        journal = Path(tmp) / "commune.journal"
        journal.write_text(run(commune, "ledger", "export", "--database-url", url))
        ours = list(csv.DictReader(io.StringIO(run(commune, "ledger", "balances", "--database-url", url))))
        cleared = hledger_balances(journal, "--cleared")
        pending = hledger_balances(journal, "--pending")
        failures = 0
        for row in ours:
            key = (row["account"], row["currency"])
            for name, theirs, mine in (("posted", cleared, row["posted"]), ("pending", pending, row["pending"])):
                got = theirs.get(key, Decimal(0))
                if got != Decimal(mine):
                    failures += 1
                    if failures <= 10:
                        print(f"  MISMATCH {label} {key} {name}: hledger {got}, commune {mine}")
        transactions = journal.read_text().count("\n    assets:") + journal.read_text().count("\n    liabilities:")
        print(f"{label}: {len(ours)} accounts x (posted, pending) compared, {transactions // 2} journal transactions, {failures} mismatches")
        return failures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commune", required=True)
    parser.add_argument("--transfers", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        demo = f"sqlite://{tmp}/demo.db"
        run(args.commune, "demo", "--database-url", demo)
        bench = f"sqlite://{tmp}/bench.db"
        run(args.commune, "bench", "ledger", "--database-url", bench, "--transfers", str(args.transfers),
            "--batch", "1000", "--accounts", "500", "--naive-transfers", "100", "--seed", "7")
        failures = check(args.commune, demo, "demo commune") + check(args.commune, bench, "benchmark workload")
    print("hledger cross-check:", "OK" if failures == 0 else f"{failures} mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
