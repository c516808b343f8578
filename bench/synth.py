"""Benchmark: time to generate a synthetic CRM world (target: 100,000 customers in < 60 s).

    python bench/synth.py [--customers 100_000]

There is no peer to compare with; the script prints seconds, rows per table and peak memory.
"""

from __future__ import annotations

import argparse
import resource
import time

from crmlab.data import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args()
    start = time.perf_counter()
    world = generate(args.customers, random_state=args.random_state)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"generate({args.customers:,}) took {seconds:.1f} s, peak memory {peak:,.0f} MB")
    print(world.row_counts().to_string(index=False))


if __name__ == "__main__":
    main()
