"""Benchmark: the whole report catalogue, cold (everything executes) and warm (all cached).

    python bench/reports.py [--jobs 2] [--fresh-too]

Targets (issue 22): cold at most 90 s with --jobs 2, warm (every report cached) at most
2 s, the median of three warm runs. Runs the CLI as a user would, into a temporary output
folder, so reports/ is left alone. Also prints the CPU time of the cold run (its reports'
kernels included): the run is CPU-bound, so that is what a change to a report moves.
With --fresh-too, a second cold run starts every kernel from scratch
(``CRMLAB_WARM_KERNELS=0``), side by side in the same hour: the VM's speed drifts by 10%
between hours, more than many changes move.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from peak import children_cpu  # bench/peak.py

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], env: dict | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False, env=env)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--fresh-too", action="store_true", help="also cold, kernels from scratch")
    args = parser.parse_args()
    crmlab = str(Path(sys.executable).with_name("crmlab"))
    with tempfile.TemporaryDirectory() as out:
        cmd = [crmlab, "reports", "run", "--out", out, "--jobs", str(args.jobs)]
        cold = timed([*cmd, "--force"])
        cpu = children_cpu()
        warm = statistics.median(timed(cmd) for _ in range(3))
        n = len(list(Path(out).glob("*.html"))) - 1  # minus index.html
    print(
        f"{n} reports, --jobs {args.jobs}: cold {cold:.1f} s, {cpu:.0f} s of CPU (target "
        f"<= 90 s); warm {warm:.2f} s, median of 3 (target <= 2 s)"
    )
    if args.fresh_too:
        before = children_cpu()
        with tempfile.TemporaryDirectory() as out:
            cmd = [crmlab, "reports", "run", "--out", out, "--jobs", str(args.jobs), "--force"]
            fresh = timed(cmd, env={**os.environ, "CRMLAB_WARM_KERNELS": "0"})
        fresh_cpu = children_cpu() - before
        print(
            f"cold with every kernel started from scratch: {fresh:.1f} s, {fresh_cpu:.0f} s of "
            f"CPU ({fresh / cold:.2f}x the time, {fresh_cpu / cpu:.2f}x the CPU of warm kernels)"
        )


if __name__ == "__main__":
    main()
