"""Benchmark: reading a 10,000,000-unit test day by day, with always-valid intervals.

    python bench/sequential.py [--units 10_000_000] [--days 28]

Units in two arms with a first-order day (or none), as ``features.experiment_units`` makes
them. Side by side, median of 3 runs each:

- crmlab: ``experiment.sequential_monitor`` (every day's shares, fixed and always-valid
  intervals, the stop day);
- pandas, the usual notebook code: for each day, the share converted per arm by a groupby;
- numpy, one pass: a histogram of first-order days per arm and a cumulative sum (no
  intervals; the shortest code a reader would write, not a lower bound: crmlab's sorted
  search beats it).

Then ``experiment.analyze`` on the same units with and without ``sequential=True`` (the
always-valid intervals come from the same sufficient statistics: no extra pass). Prints
seconds, ratios and peak memory.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

import numpy as np
import pandas as pd

from crmlab import experiment


def make_units(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    treated = rng.random(n) < 0.5
    buys = rng.random(n) < np.where(treated, 0.22, 0.20)
    first = np.where(buys, rng.exponential(9.0, n), np.nan)
    arm = np.where(treated, "treatment", "control")
    converted = (first <= 28).astype(int)
    return pd.DataFrame({"customer_id": np.arange(n), "variant": arm, "converted": converted,
                         "days_to_first_order": first})  # fmt: skip


def pandas_daily(units: pd.DataFrame, days: int) -> pd.DataFrame:
    rows = []
    for day in range(1, days + 1):
        share = (units["days_to_first_order"] <= day).groupby(units["variant"]).mean()
        rows.append({"day": day, **share.to_dict()})
    return pd.DataFrame(rows)


def histogram_daily(units: pd.DataFrame, days: int) -> np.ndarray:
    arm = (units["variant"].to_numpy() == "treatment").astype(int)
    first = units["days_to_first_order"].to_numpy()
    slot = np.where(np.isnan(first), days + 1, np.ceil(np.nan_to_num(first, nan=0))).astype(int)
    counts = np.bincount(arm * (days + 2) + np.clip(slot, 0, days + 1), minlength=2 * (days + 2))
    return np.cumsum(counts.reshape(2, days + 2)[:, : days + 1], axis=1)


def median_seconds(work, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=28)
    args = parser.parse_args()
    units = make_units(args.units)
    print(f"{args.units:,} units, {args.days} daily looks", flush=True)
    crm = median_seconds(lambda: experiment.sequential_monitor(units, args.days, tuning=args.units))
    pandas = median_seconds(lambda: pandas_daily(units, args.days))
    numpy = median_seconds(lambda: histogram_daily(units, args.days))
    print(f"sequential_monitor  {crm:7.2f} s")
    print(f"pandas, per day     {pandas:7.2f} s   crmlab is {pandas / crm:.1f}x faster")
    print(f"numpy, one pass     {numpy:7.2f} s   crmlab is {numpy / crm:.1f}x faster", flush=True)
    metric = [experiment.Proportion("converted")]
    fixed = median_seconds(lambda: experiment.analyze(units, metric, unit=None))
    always = median_seconds(lambda: experiment.analyze(units, metric, unit=None, sequential=True))
    print(f"analyze             {fixed:7.2f} s")
    print(f"analyze, sequential {always:7.2f} s   ({always / fixed:.2f}x)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f"peak memory {peak:.1f} GB")


if __name__ == "__main__":
    main()
