"""Benchmark: experiment read-out on 10,000,000 units, 3 arms, 4 metrics with CUPED.

    python bench/experiment.py [--units 10_000_000]

Builds a CRM data set on the fly (customers, one campaign, assignments to control / a / b,
and about one order per unit spread around the assignment date) and writes its orders and
assignments as Parquet, where a data set of this size lives. Each way of reading it out
then runs in its own fresh process, so that peak memory (max RSS) is its own:

  analyze_campaign    crmlab.experiment.analyze_campaign: units built and summed in DuckDB,
                      only per-arm sums reach pandas
  units + analyze     crmlab.features.experiment_units (10M rows into pandas), then
                      crmlab.experiment.analyze on that frame

Both read-outs must be equal. Targets (issue 22): <= 10 s and <= 2 GB peak.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from peak import peak_rss_mb  # bench/peak.py

from crmlab import experiment as ex
from crmlab.data import CRMData
from crmlab.features import experiment_units

METRICS = [
    ex.Proportion("converted"),
    ex.Mean("revenue", covariate="pre_revenue"),
    ex.Mean("n_orders", covariate="pre_orders"),
    ex.Ratio("revenue", "n_orders"),
]


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


def _contender(name: str, folder: str, queue) -> None:
    """Runs in a fresh process: read out the campaign from the Parquet files."""
    data = CRMData(
        orders=str(Path(folder) / "orders.parquet"),
        assignments=str(Path(folder) / "assignments.parquet"),
    )
    start = time.perf_counter()
    if name == "analyze_campaign":
        table = ex.analyze_campaign(data, "K1", METRICS).table
        steps = {}
    else:
        units = experiment_units(data, "K1")
        built = time.perf_counter() - start
        table = ex.analyze(units, METRICS).table
        steps = {"experiment_units": built, "analyze": time.perf_counter() - start - built}
    seconds = time.perf_counter() - start
    peak_mb = peak_rss_mb()
    table.to_parquet(Path(folder) / f"{name}.parquet")
    queue.put({"seconds": seconds, "peak_rss_mb": peak_mb, **steps})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        t0 = time.perf_counter()
        data = make_data(args.units)
        data.orders.to_parquet(Path(folder) / "orders.parquet", index=False)
        data.assignments.to_parquet(Path(folder) / "assignments.parquet", index=False)
        print(
            f"generated {args.units:,} units and {len(data.orders):,} orders in "
            f"{time.perf_counter() - t0:.1f} s",
            flush=True,
        )
        del data
        ctx = mp.get_context("spawn")
        for name in ("analyze_campaign", "units + analyze"):
            queue = ctx.Queue()
            proc = ctx.Process(target=_contender, args=(name, folder, queue))
            proc.start()
            proc.join()
            if proc.exitcode != 0:
                sys.exit(f"{name} failed (exit code {proc.exitcode}); see its traceback")
            row = queue.get()
            steps = ", ".join(f"{k} {v:.2f} s" for k, v in row.items() if k not in
                              ("seconds", "peak_rss_mb"))  # fmt: skip
            print(
                f"  {name:<18} {row['seconds']:7.2f} s   peak {row['peak_rss_mb']:7,.0f} MB"
                + (f"   ({steps})" if steps else ""),
                flush=True,
            )
        table = pd.read_parquet(Path(folder) / "analyze_campaign.parquet")
        pd.testing.assert_frame_equal(
            table, pd.read_parquet(Path(folder) / "units + analyze.parquet")
        )
        print("  both read-outs agree; targets: <= 10 s, <= 2 GB peak")
    print(table[["metric", "arm", "difference", "ci_low", "ci_high", "p_adjusted"]].round(4))


if __name__ == "__main__":
    main()
