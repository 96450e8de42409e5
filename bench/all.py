"""`make bench`: B1–B4 and B6 one after another, each in its own process with its own dev server and worker.

    .venv/bin/python -m bench.all [--quick]

`--quick` runs every benchmark at a size that finishes in a few minutes (the figures are then smaller
samples, not the issue's sizes). Each script prints its own figures and ratios; this one only runs them
and says which failed to run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

FULL = [
    ["bench.b1_intake"],
    ["bench.b2_update"],
    ["bench.b2_update", "--rate", "20", "--concurrency", "64"],
    ["bench.b4_timer_storm", "--n", "2000"],
    ["bench.b3_open_tickets", "--n", "10000"],
    ["bench.b6_delivery"],
]
QUICK = [
    ["bench.b1_intake", "--requests", "100", "--rounds", "2"],
    ["bench.b2_update", "--requests", "100", "--rounds", "2", "--no-profile"],
    ["bench.b4_timer_storm", "--n", "200"],
    ["bench.b3_open_tickets", "--n", "300"],
    ["bench.b6_delivery", "--seconds", "10", "--backlog", "1000"],
]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.all", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a few minutes in all")
    args = parser.parse_args()
    failed = []
    for argv in QUICK if args.quick else FULL:
        print(f"\n### {' '.join(argv)}", flush=True)
        if subprocess.run([sys.executable, "-m", *argv], check=False).returncode != 0:
            failed.append(" ".join(argv))
    if failed:
        raise SystemExit(f"did not finish: {', '.join(failed)}")


if __name__ == "__main__":
    main()
