"""Importing a large line-item export: crmlab's import spec (DuckDB) against plain pandas.

Writes a synthetic invoice-line export (default 20 million lines; ``--lines N``) as CSV and
as Parquet, shaped like recipe 1 of docs/guide/your_data.md (m/d/Y dates, cancellations
"C<invoice>", guest rows "(blank)"), then imports it with the same rules twice, side by
side in one run: ``crmlab.data.importer.run_import`` and a straightforward pandas version
(read, set guests aside, parse dates with the declared format, amount = quantity x price,
refunds, sum lines into orders, write Parquet). Each import runs in a fresh process, so its
peak memory (max RSS) is its own. Prints seconds, peak GB and the ratios.

    python bench/import.py [--lines 20000000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

SPEC = """as_of: "2012-01-01"
tables:
  orders:
    file: {file}
    date_format: "%m/%d/%Y %H:%M"
    columns: {{order_id: InvoiceNo, customer_id: CustomerID, ordered_at: InvoiceDate,
               channel: Country}}
    amount: "Quantity * UnitPrice"
    lines: true
    refund_when: "starts_with(InvoiceNo, 'C')"
    missing_customer: ["", "(blank)"]
"""


def make_export(folder: Path, lines: int) -> dict[str, Path]:
    """An invoice-line export: ~4 lines per invoice, 2% cancellations, 3% guest rows."""
    con = duckdb.connect()
    con.execute(
        f"""CREATE TABLE lines AS
        WITH l AS (SELECT i, i // 4 AS invoice, hash(i // 4) AS h FROM range({lines}) t(i))
        SELECT (CASE WHEN h % 50 = 0 THEN 'C' ELSE '' END) || CAST(500000 + invoice AS VARCHAR)
                   AS InvoiceNo,
               'SKU' || CAST(hash(i) % 4000 AS VARCHAR) AS StockCode,
               (CASE WHEN h % 50 = 0 THEN -1 ELSE 1 END) * CAST(1 + hash(i) % 12 AS INTEGER)
                   AS Quantity,
               strftime(TIMESTAMP '2010-12-01' + to_minutes(CAST(h % 525600 AS BIGINT)),
                        '%-m/%-d/%Y %-H:%M') AS InvoiceDate,
               round(0.5 + (hash(i) % 2000) / 100.0, 2) AS UnitPrice,
               CASE WHEN h % 33 = 0 THEN '(blank)'
                    ELSE CAST(10000 + h % 400000 AS VARCHAR) END AS CustomerID,
               ['United Kingdom', 'France', 'Germany', 'EIRE'][CAST(1 + h % 4 AS BIGINT)] AS Country
        FROM l"""
    )
    files = {"csv": folder / "lines.csv", "parquet": folder / "lines.parquet"}
    con.execute(f"COPY lines TO '{files['csv']}' (HEADER)")
    con.execute(f"COPY lines TO '{files['parquet']}' (FORMAT parquet)")
    con.close()
    return files


def crmlab_import(source: str, out: str) -> None:
    from crmlab.data.importer import run_import

    spec = Path(out).parent / f"spec_{Path(source).suffix[1:]}.yaml"
    spec.write_text(SPEC.format(file=source))
    run_import(spec, out)


def pandas_import(source: str, out: str) -> None:
    """The same rules, written the way a data scientist would in pandas."""
    import pandas as pd

    text = {"InvoiceNo": "str", "CustomerID": "str", "InvoiceDate": "str", "Country": "str"}
    if source.endswith(".csv"):
        frame = pd.read_csv(source, dtype=text, keep_default_na=False)
    else:
        frame = pd.read_parquet(source)
    guest = frame["CustomerID"].str.strip().isin(["", "(blank)"])
    frame = frame[~guest]
    frame["ordered_at"] = pd.to_datetime(frame["InvoiceDate"], format="%m/%d/%Y %H:%M", utc=True)
    amount = frame["Quantity"] * frame["UnitPrice"]
    refund = frame["InvoiceNo"].str.startswith("C")
    frame["amount"] = amount.where(~refund, -amount.abs())
    orders = frame.groupby("InvoiceNo", sort=False).agg(
        customer_id=("CustomerID", "min"),
        customers=("CustomerID", "nunique"),
        ordered_at=("ordered_at", "min"),
        amount=("amount", "sum"),
        channel=("Country", "min"),
    )
    orders = orders[orders["customers"] == 1].drop(columns="customers")
    orders["status"] = orders["amount"].lt(0).map({True: "refunded", False: "completed"})
    orders.rename_axis("order_id").reset_index().to_parquet(Path(out) / "orders.parquet")


def child(which: str, source: str, out: str) -> None:
    """Run one import in this (fresh) process; print seconds and peak memory as JSON."""
    Path(out).mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    (crmlab_import if which == "crmlab" else pandas_import)(source, out)
    seconds = time.perf_counter() - started
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(json.dumps({"seconds": seconds, "peak_gb": peak_gb}))


def measure(which: str, source: Path, out: Path) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", which, str(source), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=20_000_000)
    parser.add_argument("--child", nargs=3)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="crmlab-bench-import-") as scratch:
        folder = Path(scratch)
        files = make_export(folder, args.lines)
        print(f"{args.lines:,} invoice lines; CSV {files['csv'].stat().st_size / 1e9:.2f} GB")
        print(
            f"{'input':<8} {'crmlab s':>9} {'pandas s':>9} {'speed-up':>9} "
            f"{'crmlab GB':>10} {'pandas GB':>10}"
        )
        for kind, source in files.items():
            ours = measure("crmlab", source, folder / f"out_crmlab_{kind}")
            theirs = measure("pandas", source, folder / f"out_pandas_{kind}")
            print(
                f"{kind:<8} {ours['seconds']:>9.1f} {theirs['seconds']:>9.1f} "
                f"{theirs['seconds'] / ours['seconds']:>8.1f}x {ours['peak_gb']:>10.2f} "
                f"{theirs['peak_gb']:>10.2f}"
            )


if __name__ == "__main__":
    main()
