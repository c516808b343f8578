"""Benchmark: the same feature SQL on embedded DuckDB and on a local Apache Spark, one run.

    python bench/spark.py [--customers 100_000 1_000_000 10_000_000] [--cores 2]

For each size up to ``--worlds-up-to`` (1M) a synthetic world is generated (not timed;
``crmlab.data.generate``) and its orders written to Parquet. Larger sizes (a 10M-customer
world takes most of an hour to generate here) get a lighter world (``light_world``): a
plain order log of 4 orders per customer (``bench/customer_summary.py``'s generator), the
customers it implies, and one campaign test over a fifth of them.
Then, on DuckDB (``engine=None``) and on Spark ``local[cores]``
(``engine=session``; the session is started once, its start-up printed apart):

  customer_summary   over the Parquet file (each engine reads it itself)
  experiment         experiment_units + analyze (3 metrics, CUPED) for one campaign
  churn snapshots    churn_snapshots at 2 cutoffs (every feature, the label)
  import             run_import of an invoice-line export (CSV, 4 lines per customer;
                     ``bench/import.py``'s file and spec), written as Parquet and loaded

Each time is load + query + collect to pandas (the whole call); the median of 3 runs where
one run takes under 10 s. Spark first runs every workload once on a small world, untimed
(its JVM compiles hot code on first use). Every Spark result is compared with DuckDB's
(``assert_frame_equal``, relative tolerance 1e-9) before its time is printed.

On one 2-core machine Spark is expected to be slower than DuckDB: it plans a distributed job,
shuffles between stages and moves data through the JVM. The point of the Spark path is that
the same queries run where data already lives and on as many machines as a cluster has;
``docs/guide/scale.md`` estimates when that wins.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.testing import assert_frame_equal

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.spark_session

from bench.customer_summary import AS_OF, make_orders
from crmlab import experiment as ex
from crmlab.data import CRMData, generate, load
from crmlab.data.importer import run_import
from crmlab.features import (
    churn_snapshots,
    customer_summary,
    cutoff_schedule,
    experiment_units,
)

METRICS = [
    ex.Proportion("converted"),
    ex.Mean("revenue", covariate="pre_revenue"),
    ex.Mean("n_orders"),
]


def timed(work, repeat_under: float = 10.0):
    """(result, seconds): the median of 3 runs when one run takes under repeat_under s."""
    start = time.perf_counter()
    result = work()
    seconds = [time.perf_counter() - start]
    if seconds[0] < repeat_under:
        for _ in range(2):
            start = time.perf_counter()
            work()
            seconds.append(time.perf_counter() - start)
    return result, statistics.median(seconds)


def light_world(n: int, seed: int = 0) -> CRMData:
    """n customers with 4 orders each on average (skewed), and campaign CMP01 assigning a
    fifth of them to control and treatment 60 days before as_of: enough for every workload, made in
    seconds rather than ``generate``'s hour."""
    orders = make_orders(4 * n, n, seed)
    orders.insert(0, "order_id", pd.RangeIndex(len(orders)).map("O{:09d}".format))
    orders["status"] = "completed"
    first = orders.groupby("customer_id", sort=True)["ordered_at"].min()
    customers = pd.DataFrame({"customer_id": first.index, "first_seen_at": first.to_numpy()})
    rng = np.random.default_rng(seed)
    chosen = customers["customer_id"].sample(frac=0.2, random_state=seed).sort_values()
    as_of = pd.Timestamp(AS_OF, tz="UTC")
    assignments = pd.DataFrame(
        {
            "campaign_id": "CMP01",
            "customer_id": chosen.to_numpy(),
            "variant": rng.choice(["control", "treatment"], len(chosen)),
            "assigned_at": as_of - pd.Timedelta(days=60),
        }
    )
    return CRMData(customers=customers, orders=orders, assignments=assignments, as_of=as_of)


def workloads(world, orders_path: str):
    """name -> function(engine) returning pandas frames to compare."""
    campaign = world.assignments["campaign_id"].iloc[0]
    cuts = cutoff_schedule(world.as_of, n_cutoffs=2, spacing_days=60)
    as_of = world.as_of

    def summary(engine):
        return [customer_summary(orders_path, as_of, engine=engine).table]

    def experiment(engine):
        units = experiment_units(world, campaign, engine=engine)
        return [units, ex.analyze(units, METRICS, engine=engine).table]

    def snapshots(engine):
        return [churn_snapshots(world, cuts, engine=engine).table]

    def imported(engine):
        export_bench = importlib.import_module("bench.import")  # a keyword as a module name
        make_export, spec_text = export_bench.make_export, export_bench.SPEC
        folder = Path(orders_path).parent
        export = folder / "lines.csv"
        if not export.exists():  # the same file for both engines
            make_export(folder, 4 * len(world.customers))
        spec = folder / "lines.yaml"
        spec.write_text(spec_text.format(file=export))
        out = folder / ("imported_duckdb" if engine is None else "imported_spark")
        run_import(spec, out, engine=engine)
        return [load(out).orders]

    return {
        "customer_summary": summary,
        "experiment": experiment,
        "churn snapshots": snapshots,
        "import": imported,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--memory", default="8g", help="Spark driver heap")
    parser.add_argument(
        "--max-result",
        default="0",
        help="spark.driver.maxResultSize (0: no limit; local Spark's driver is this machine)",
    )
    parser.add_argument("--worlds-up-to", type=int, default=1_000_000)
    parser.add_argument(
        "--work", nargs="+", default=None, help="only these (customer_summary, experiment, ...)"
    )
    args = parser.parse_args()

    from tests import spark_session

    if reason := spark_session.unavailable():
        print(f"bench/spark.py skipped: {reason}")
        return
    start = time.perf_counter()
    spark, warehouse, _ = spark_session.start(
        args.cores,
        args.memory,
        whole_stage=True,
        partitions=args.cores,
        max_result=args.max_result,
        quick_jvm=False,
    )
    started = time.perf_counter() - start
    print(f"Spark local[{args.cores}] started in {started:.1f} s (not counted below)\n")
    warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas")

    # the JVM compiles its hot paths on first use: warm up on a small world, untimed
    small = generate(2_000, random_state=1)
    with tempfile.TemporaryDirectory(prefix="crmlab-bench-") as folder:
        small.orders.to_parquet(Path(folder) / "orders.parquet")
        for work in workloads(small, str(Path(folder) / "orders.parquet")).values():
            work(spark)

    rows = []
    header = f"{'work':<18}{'customers':>11}{'orders':>12}{'DuckDB s':>10}{'Spark s':>10}"
    print(header + f"{'Spark/DuckDB':>14}  parity")
    for n in args.customers:
        start = time.perf_counter()
        world = generate(n, random_state=0) if n <= args.worlds_up_to else light_world(n)
        orders = world.orders
        made = time.perf_counter() - start
        with tempfile.TemporaryDirectory(prefix="crmlab-bench-") as folder:
            path = str(Path(folder) / "orders.parquet")
            orders.to_parquet(path)
            print(f"  ({n:,} customers, {len(orders):,} orders generated in {made:.0f} s)")
            for name, work in workloads(world, path).items():
                if args.work and name not in args.work:
                    continue
                local, duck = timed(lambda work=work: work(None))
                remote, distributed = timed(lambda work=work: work(spark))
                for ours, theirs in zip(local, remote, strict=True):
                    assert_frame_equal(ours, theirs, rtol=1e-9)
                row = {
                    "work": name,
                    "customers": n,
                    "orders": len(orders),
                    "duckdb_s": round(duck, 2),
                    "spark_s": round(distributed, 2),
                    "ratio": round(distributed / duck, 1),
                }
                rows.append(row)
                print(
                    f"{name:<18}{n:>11,}{len(orders):>12,}{duck:>10.2f}"
                    f"{distributed:>10.2f}{row['ratio']:>13.1f}x  equal"
                )
        del world, orders
    spark.stop()
    shutil.rmtree(warehouse, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory of the Python process {peak:,.0f} MB (Spark's JVM not included)")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    record = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": platform.platform(),
        "cores": args.cores,
        "spark_start_s": round(started, 1),
        "results": rows,
    }
    (out / "spark.json").write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
