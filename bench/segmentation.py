"""Benchmark: RFM + ABC and clustering on 1,000,000 customers.

    python bench/segmentation.py [--customers 1_600_000] [--orders 5_000_000]

Targets: RFM + ABC under 10 s (issue 3); k-means and GMM model selection (k = 2..8, 10
bootstrap refits for stability) on every customer under 30 s each (issue 22). crmlab
fits on a sample of 100,000 (``fit_sample``) and assigns everyone; the peer line is the
same k-means selection fitted on all customers (``fit_sample=None``, as before issue 22).
The customer summary is timed separately (see bench/customer_summary.py).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from customer_summary import make_orders

from crmlab import segment
from crmlab.features import customer_summary


def timed(label: str, fn):
    start = time.perf_counter()
    result = fn()
    print(f"  {label:<34} {time.perf_counter() - start:7.2f} s", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_600_000)  # ~1M of them buy
    parser.add_argument("--orders", type=int, default=5_000_000)
    args = parser.parse_args()
    orders = make_orders(args.orders, args.customers)
    summary = timed("customer_summary (DuckDB)", lambda: customer_summary(orders, "2024-12-31"))
    print(f"  {len(summary):,} customers with purchases")
    start = time.perf_counter()
    scores = timed("rfm", lambda: segment.rfm(summary))
    timed(
        "abc (count) + abc (value) + gini",
        lambda: (
            segment.abc(scores["revenue"]),
            segment.abc(scores["revenue"], basis="value"),
            segment.gini(scores["revenue"]),
        ),
    )
    print(f"  {'RFM + ABC total':<34} {time.perf_counter() - start:7.2f} s (target < 10 s)")
    features = scores[["recency_days", "n_orders", "revenue"]]
    for method in ("kmeans", "gmm"):
        result = timed(
            f"cluster ({method}), k=2..8, {len(features):,}",
            lambda method=method: segment.cluster(features, k=range(2, 9), method=method),
        )
        print(
            f"    chosen k={result.k}, stability {result.stability:.2f}, fitted on "
            f"{result.fitted_on:,} (target < 30 s)"
        )
    timed(
        f"peer: the same k-means on all {len(features):,}",
        lambda: segment.cluster(features, k=range(2, 9), fit_sample=None),
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory {peak:,.0f} MB")


if __name__ == "__main__":
    main()
