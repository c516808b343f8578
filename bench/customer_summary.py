"""Benchmark: per-customer frequency/recency/T/monetary summary, crmlab vs peers, one run.

    python bench/customer_summary.py [--orders 10_000_000] [--customers 1_000_000]

Generates a random order log on the fly (written once to Parquet in a temporary folder),
then runs each contender in its own fresh process so that peak memory (max RSS) is
measured per contender:

  crmlab (parquet)    crmlab.features.customer_summary over the Parquet file (DuckDB reads it)
  crmlab (DataFrame)  the same over a pandas DataFrame already in memory
  pandas groupby      a plain pandas implementation of the same definitions
  lifetimes           lifetimes.utils.summary_data_from_transaction_data

Time is the summary call only (reading the Parquet into pandas is excluded, except for
"crmlab (parquet)" where reading is part of the work). Peak memory is the whole process.
All outputs are checked against crmlab's before the ratios are printed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

AS_OF = "2024-12-31"
COLUMNS = ["frequency", "recency", "T", "monetary_value"]


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


def lifetimes_summary(orders: pd.DataFrame, as_of: str) -> pd.DataFrame:
    from lifetimes.utils import summary_data_from_transaction_data

    # lifetimes compares against a naive end date, so it gets naive (UTC) timestamps.
    naive = orders.assign(ordered_at=orders["ordered_at"].dt.tz_localize(None))
    return summary_data_from_transaction_data(
        naive, "customer_id", "ordered_at", "amount", observation_period_end=as_of, freq="D"
    ).sort_index()


def _contender(name: str, parquet: str, queue) -> None:
    """Runs in a fresh process: load input, time the call, report time and peak RSS."""
    from crmlab.features import customer_summary

    if name == "crmlab (parquet)":
        start = time.perf_counter()
        result = customer_summary(parquet, AS_OF).table
    else:
        orders = pd.read_parquet(parquet)
        start = time.perf_counter()
        if name == "crmlab (DataFrame)":
            result = customer_summary(orders, AS_OF).table
        elif name == "pandas groupby":
            result = pandas_summary(orders, AS_OF)
        else:
            result = lifetimes_summary(orders, AS_OF)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result[COLUMNS].to_parquet(Path(parquet).with_name(f"{name}.parquet"))
    queue.put({"contender": name, "seconds": seconds, "peak_rss_mb": peak_mb})


def run(n_orders: int, n_customers: int, skip_lifetimes: bool) -> pd.DataFrame:
    contenders = ["crmlab (parquet)", "crmlab (DataFrame)", "pandas groupby"]
    if not skip_lifetimes:
        contenders.append("lifetimes")
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
        for name in contenders:
            queue = ctx.Queue()
            proc = ctx.Process(target=_contender, args=(name, parquet, queue))
            proc.start()
            proc.join()
            if proc.exitcode != 0:
                sys.exit(f"{name} failed (exit code {proc.exitcode}); see its traceback above")
            row = queue.get()
            rows.append(row)
            print(
                f"  {name:<20} {row['seconds']:8.2f} s   peak {row['peak_rss_mb']:8.0f} MB",
                flush=True,
            )
        reference = pd.read_parquet(Path(tmp) / "crmlab (parquet).parquet")
        for name in contenders[1:]:
            other = pd.read_parquet(Path(tmp) / f"{name}.parquet").loc[reference.index]
            np.testing.assert_allclose(other[COLUMNS], reference[COLUMNS], rtol=1e-9)
        print("  all outputs agree")
    table = pd.DataFrame(rows).set_index("contender")
    crmlab = table.loc["crmlab (parquet)"]
    table["time_vs_crmlab"] = table["seconds"] / crmlab["seconds"]
    table["memory_vs_crmlab"] = table["peak_rss_mb"] / crmlab["peak_rss_mb"]
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--skip-lifetimes", action="store_true")
    args = parser.parse_args()
    table = run(args.orders, args.customers, args.skip_lifetimes)
    with pd.option_context("display.float_format", "{:,.2f}".format, "display.width", 120):
        print("\nratios > 1 mean the peer is slower / uses more memory than crmlab (parquet)")
        print(table)
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
