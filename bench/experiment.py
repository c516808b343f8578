"""Benchmark: experiment read-out on 10,000,000 units, 3 arms, 4 metrics with CUPED.

    python bench/experiment.py [--units 10_000_000]

Builds a CRM data set on the fly (customers, one campaign, assignments to control / a / b,
and about one order per unit spread around the assignment date), then times
``crmlab.features.experiment_units`` (DuckDB) and ``crmlab.experiment.analyze`` separately.
Target (issue 6): under 30 s in total on this machine. Prints peak memory.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from crmlab import experiment as ex
from crmlab.data import CRMData
from crmlab.features import experiment_units


def make_data(n: int, seed: int = 0) -> CRMData:
    rng = np.random.default_rng(seed)
    ids = pd.Series(np.arange(n)).map("C{:08d}".format)
    start = pd.Timestamp("2024-06-01", tz="UTC")
    assigned = start + pd.to_timedelta(rng.integers(0, 3 * 86_400, n), unit="s")
    arm = rng.choice(["control", "a", "b"], n)
    k = rng.poisson(1.0, n)  # orders per unit, before and after assignment
    who = np.repeat(np.arange(n), k)
    offset = rng.uniform(-90, 30, len(who)) * 86_400
    uplift = np.where(arm[who] == "b", 1.1, 1.0)
    orders = pd.DataFrame(
        {
            "order_id": np.arange(len(who)).astype(str),
            "customer_id": ids.to_numpy()[who],
            "ordered_at": assigned[who] + pd.to_timedelta(offset, unit="s"),
            "amount": rng.gamma(2, 30 * uplift),
        }
    )
    assignments = pd.DataFrame(
        {"campaign_id": "K1", "customer_id": ids, "variant": arm, "assigned_at": assigned}
    )
    return CRMData(orders=orders, assignments=assignments)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000_000)
    args = parser.parse_args()
    t0 = time.perf_counter()
    data = make_data(args.units)
    print(
        f"generated {args.units:,} units and {len(data.orders):,} orders in "
        f"{time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    t0 = time.perf_counter()
    units = experiment_units(data, "K1")
    built = time.perf_counter() - t0
    print(f"  experiment_units (DuckDB)      {built:7.2f} s", flush=True)
    metrics = [
        ex.Proportion("converted"),
        ex.Mean("revenue", covariate="pre_revenue"),
        ex.Mean("n_orders", covariate="pre_orders"),
        ex.Ratio("n_orders", "sessions"),
    ]
    metrics[-1] = ex.Ratio("revenue", "n_orders") if units["sessions"].sum() == 0 else metrics[-1]
    t0 = time.perf_counter()
    table = ex.analyze(units, metrics).table
    analysed = time.perf_counter() - t0
    print(f"  analyze, 4 metrics x 2 arms    {analysed:7.2f} s")
    print(f"  total                          {built + analysed:7.2f} s (target < 30 s)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory {peak:,.0f} MB")
    print(table[["metric", "arm", "difference", "ci_low", "ci_high", "p_adjusted"]].round(4))


if __name__ == "__main__":
    main()
