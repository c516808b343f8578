"""Benchmark: per-customer frequency/recency/T/monetary summary, crmlab vs peers, one run.

    python bench/customer_summary.py [--orders 10_000_000] [--customers 1_000_000]

Generates a random order log on the fly (written once to Parquet in a temporary folder),
then runs each contender in its own fresh process so that peak memory (max RSS) is
measured per contender; each times its call three times and reports the median:

  customer_summary
    crmlab (parquet)    crmlab.features.customer_summary over the Parquet file (DuckDB reads it)
    crmlab (DataFrame)  the same over a pandas DataFrame already in memory
    pandas groupby      a plain pandas implementation of the same definitions
    lifetimes           lifetimes.utils.summary_data_from_transaction_data
    floor               one plain DuckDB GROUP BY customer_id over the same Parquet (orders,
                        sum, first and last order, into pandas): no per-day collapse, no
                        refunds; the least any summary of this file can cost
  calibration_holdout
    crmlab (parquet)    crmlab.features.calibration_holdout over the Parquet file
    lifetimes           lifetimes.utils.calibration_and_holdout_data

Time is the call only (reading the Parquet into pandas is excluded, except for "crmlab
(parquet)" and the floor, where reading is part of the work). Peak memory is the whole
process. All outputs are checked against crmlab's before the ratios are printed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from peak import peak_rss_mb  # bench/peak.py

AS_OF = "2024-12-31"
CALIBRATION_END = "2024-06-30"
COLUMNS = ["frequency", "recency", "T", "monetary_value"]
HOLDOUT_COLUMNS = ["frequency_cal", "recency_cal", "T_cal", "frequency_holdout"]
REPEATS = 3


def make_orders(n_orders: int, n_customers: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    # Skewed activity: a few heavy buyers, many one-off customers (like real CRM logs).
    weights = rng.gamma(0.5, 1.0, n_customers)
    customer = rng.choice(n_customers, n_orders, p=weights / weights.sum())
    seconds = rng.integers(0, 2 * 365 * 86_400, n_orders)
    return pd.DataFrame(
        {
            "customer_id": pd.Series(customer).map("C{:07d}".format),
            "ordered_at": pd.Timestamp("2023-01-01", tz="UTC") + pd.to_timedelta(seconds, "s"),
            "amount": rng.gamma(2.0, 30.0, n_orders).round(2),
        }
    )


def pandas_summary(orders: pd.DataFrame, as_of: str) -> pd.DataFrame:
    """The same definitions as crmlab/lifetimes, written as a plain pandas groupby."""
    as_of_ts = pd.Timestamp(as_of, tz="UTC")
    orders = orders[orders["ordered_at"] <= as_of_ts]
    day = orders["ordered_at"].dt.floor("D")
    periods = (
        orders.assign(day=day).groupby(["customer_id", "day"], sort=True)["amount"].sum()
    ).reset_index()
    grouped = periods.groupby("customer_id", sort=True)
    first = grouped["day"].min()
    out = pd.DataFrame(
        {
            "frequency": grouped.size() - 1,
            "recency": (grouped["day"].max() - first).dt.days,
            "T": (as_of_ts.floor("D") - first).dt.days,
        }
    ).astype(float)
    first_amount = grouped["amount"].first()
    repeat = out["frequency"].where(out["frequency"] > 0)
    out["monetary_value"] = ((grouped["amount"].sum() - first_amount) / repeat).fillna(0.0)
    return out


def _naive(orders: pd.DataFrame) -> pd.DataFrame:
    # lifetimes compares against a naive end date, so it gets naive (UTC) timestamps.
    return orders.assign(ordered_at=orders["ordered_at"].dt.tz_localize(None))


def lifetimes_summary(orders: pd.DataFrame, as_of: str) -> pd.DataFrame:
    from lifetimes.utils import summary_data_from_transaction_data

    return summary_data_from_transaction_data(
        _naive(orders),
        "customer_id",
        "ordered_at",
        "amount",
        observation_period_end=as_of,
        freq="D",
    ).sort_index()


def lifetimes_holdout(orders: pd.DataFrame) -> pd.DataFrame:
    from lifetimes.utils import calibration_and_holdout_data

    return calibration_and_holdout_data(
        _naive(orders),
        "customer_id",
        "ordered_at",
        CALIBRATION_END,
        AS_OF,
        freq="D",
        monetary_value_col="amount",
    ).sort_index()


def floor_summary(parquet: str) -> pd.DataFrame:
    """One GROUP BY customer_id, straight from the file into pandas."""
    import duckdb

    con = duckdb.connect()
    sql = (
        "SELECT customer_id, count(*) AS n_orders, sum(amount) AS revenue, "
        "min(ordered_at) AS first_order_at, max(ordered_at) AS last_order_at "
        f"FROM read_parquet('{parquet}') GROUP BY customer_id ORDER BY customer_id"
    )
    return con.sql(sql).to_arrow_table().to_pandas().set_index("customer_id")


def _call(task: str, name: str, parquet: str):
    """What the contender computes, as a function of nothing (inputs already loaded)."""
    from crmlab.features import calibration_holdout, customer_summary

    if name == "floor":
        return lambda: floor_summary(parquet)
    if name == "crmlab (parquet)":
        if task == "calibration_holdout":
            return lambda: calibration_holdout(parquet, CALIBRATION_END, AS_OF).lifetimes_frame()
        return lambda: customer_summary(parquet, AS_OF).table
    orders = pd.read_parquet(parquet)
    if task == "calibration_holdout":
        return lambda: lifetimes_holdout(orders)
    return {
        "crmlab (DataFrame)": lambda: customer_summary(orders, AS_OF).table,
        "pandas groupby": lambda: pandas_summary(orders, AS_OF),
        "lifetimes": lambda: lifetimes_summary(orders, AS_OF),
    }[name]


def _contender(task: str, name: str, parquet: str, queue) -> None:
    """Runs in a fresh process: load input, time the call, report time and peak RSS."""
    call = _call(task, name, parquet)
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    peak_mb = peak_rss_mb()
    if name != "floor":
        result.to_parquet(_result_path(parquet, task, name))
    queue.put(
        {
            "task": task,
            "contender": name,
            "seconds": statistics.median(times),
            "peak_rss_mb": peak_mb,
        }
    )


def _result_path(parquet: str, task: str, name: str) -> Path:
    return Path(parquet).with_name(f"{task} {name}.parquet")


def _check(parquet: str, task: str, names: list[str]) -> None:
    """Every contender's numbers equal crmlab's (relative 1e-9)."""
    columns = HOLDOUT_COLUMNS if task == "calibration_holdout" else COLUMNS
    reference = pd.read_parquet(_result_path(parquet, task, "crmlab (parquet)"))
    for name in names:
        if name in ("crmlab (parquet)", "floor"):
            continue
        other = pd.read_parquet(_result_path(parquet, task, name)).loc[reference.index]
        np.testing.assert_allclose(other[columns], reference[columns], rtol=1e-9)


def run(n_orders: int, n_customers: int, skip_lifetimes: bool) -> pd.DataFrame:
    peers = [] if skip_lifetimes else ["lifetimes"]
    tasks = {
        "customer_summary": [
            "crmlab (parquet)",
            "crmlab (DataFrame)",
            "pandas groupby",
            *peers,
            "floor",
        ],
        "calibration_holdout": ["crmlab (parquet)", *peers],
    }
    with tempfile.TemporaryDirectory() as tmp:
        parquet = str(Path(tmp) / "orders.parquet")
        t0 = time.perf_counter()
        make_orders(n_orders, n_customers).to_parquet(parquet, index=False)
        print(
            f"generated {n_orders:,} orders / {n_customers:,} customers "
            f"in {time.perf_counter() - t0:.1f}s",
            flush=True,
        )
        ctx = mp.get_context("spawn")
        rows = []
        for task, names in tasks.items():
            print(task, flush=True)
            for name in names:
                queue = ctx.Queue()
                proc = ctx.Process(target=_contender, args=(task, name, parquet, queue))
                proc.start()
                proc.join()
                if proc.exitcode != 0:
                    sys.exit(f"{name} failed (exit code {proc.exitcode}); see its traceback")
                row = queue.get()
                rows.append(row)
                print(
                    f"  {name:<20} {row['seconds']:8.2f} s   peak {row['peak_rss_mb']:8.0f} MB",
                    flush=True,
                )
            _check(parquet, task, names)
        print("  all outputs agree")
    table = pd.DataFrame(rows).set_index(["task", "contender"])
    crmlab = table.xs("crmlab (parquet)", level="contender")
    by_task = table.index.get_level_values("task")
    table["time_vs_crmlab"] = table["seconds"] / crmlab["seconds"].loc[by_task].to_numpy()
    table["memory_vs_crmlab"] = table["peak_rss_mb"] / crmlab["peak_rss_mb"].loc[by_task].to_numpy()
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--skip-lifetimes", action="store_true")
    args = parser.parse_args()
    table = run(args.orders, args.customers, args.skip_lifetimes)
    with pd.option_context(
        "display.float_format", "{:,.2f}".format, "display.width", 160, "display.max_columns", None
    ):
        print("\nratios > 1 mean the peer is slower / uses more memory than crmlab (parquet)")
        print(table)
        floor = table.loc[("customer_summary", "floor"), "time_vs_crmlab"]
        print(f"\ncrmlab (parquet) takes {1 / floor:.2f}x the floor's time (target: within 2x)")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    record = {
        "orders": args.orders,
        "customers": args.customers,
        "machine": platform.node(),
        "python": sys.version.split()[0],
        "results": table.reset_index().to_dict("records"),
    }
    (out / "customer_summary.json").write_text(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
