"""Benchmark: 10M touchpoints of 1M customers into journeys and Markov attribution.

    python bench/journeys.py [--customers 1_000_000] [--journeys-per-customer 5]

Generates the data directly (not timed): journeys walked on the planted chain
(``journeys.PlantedJourneys``, about 1.7 touches each), six per customer 45 days apart,
touches an hour or more apart, an order 5 minutes after each converting journey. Then
times, on this machine:
  1. ``features.journeys``: sessions, lookback and journey ids in one DuckDB pass, and the
     journeys and touches as pandas tables;
  2. ``Journeys.paths()``: the distinct paths with their counts (pandas);
  3. ``markov_attribution``: exact removal effects;
and, where the package is installed (``pip install ChannelAttribution``; not a crmlab
dependency), ChannelAttribution's ``markov_model`` on the same paths: the peer of step 2,
which estimates removal effects by simulating walks (in C++). Prints the process's peak memory and
how far each result is from the chain's exact credit.
Target (issue 20): steps 1 to 3 under 60 s.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from crmlab.data import CRMData
from crmlab.features import journeys
from crmlab.journeys import PlantedJourneys, markov_attribution

AS_OF = pd.Timestamp("2025-12-31", tz="UTC")


def make_data(world: PlantedJourneys, customers: int, per_customer: int, rng) -> CRMData:
    """Touchpoints and orders of ``customers`` × ``per_customer`` journeys."""
    walker, step, channel, converted = world.walk(customers * per_customer, rng)
    who = walker % customers  # journey j belongs to customer j mod customers
    nth = walker // customers  # and is that customer's nth journey, 45 days after the last
    start = AS_OF - pd.Timedelta(days=90 + 45 * per_customer)
    seconds = nth * 45 * 86_400.0  # when the journey starts
    gaps = np.where(step == 0, 0.0, 3_600 + rng.exponential(12 * 3_600, len(walker)))
    seconds = seconds + pd.Series(gaps).groupby(walker).cumsum().to_numpy()
    occurred = start + pd.to_timedelta(seconds, unit="s")
    ids = pd.Series(np.char.add("C", np.arange(customers).astype(str)))
    touchpoints = pd.DataFrame(
        {
            "customer_id": ids.to_numpy()[who],
            "occurred_at": occurred,
            "channel": np.array(world.channels)[channel],
        }
    )
    last = pd.Series(seconds).groupby(walker).max()
    won = np.flatnonzero(converted)
    orders = pd.DataFrame(
        {
            "order_id": np.char.add("O", won.astype(str)),
            "customer_id": ids.to_numpy()[won % customers],
            "ordered_at": start + pd.to_timedelta(last.to_numpy()[won] + 300, unit="s"),
            "amount": 50.0,
            "status": "completed",
        }
    )
    customers_table = pd.DataFrame({"customer_id": ids, "first_seen_at": start})
    return CRMData(customers=customers_table, orders=orders, touchpoints=touchpoints, as_of=AS_OF)


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--journeys-per-customer", type=int, default=6)
    args = parser.parse_args()
    world = PlantedJourneys()
    data = make_data(world, args.customers, args.journeys_per_customer, np.random.default_rng(0))
    print(
        f"{args.customers:,} customers, {len(data.touchpoints):,} touchpoints, "
        f"{len(data.orders):,} orders; peak memory {peak_gb():.1f} GB"
    )
    began = time.perf_counter()
    found = journeys(data, lookback_days=30)
    built = time.perf_counter() - began
    print(f"  1. features.journeys ({len(found.table):,} journeys)      {built:7.2f} s")
    print(f"     peak memory so far {peak_gb():.1f} GB")
    began = time.perf_counter()
    paths = found.paths()
    grouped = time.perf_counter() - began
    began = time.perf_counter()
    credit = markov_attribution(paths).set_index("channel")["credit"]
    attributed = time.perf_counter() - began
    truth = world.truth().set_index("channel")["markov_credit"]
    error = (credit - truth).abs().max()
    print(f"  2. Journeys.paths ({len(paths):,} distinct paths)         {grouped:7.2f} s")
    print(
        f"  3. markov_attribution (exact)                    {attributed:7.2f} s  "
        f"(largest error against the chain's credit {error:.4f})"
    )
    total = built + grouped + attributed
    print(f"  total {total:.1f} s (target < 60 s); peak memory {peak_gb():.1f} GB")
    try:
        from ChannelAttribution import markov_model
    except ImportError:
        print("  peer: ChannelAttribution is not installed (pip install ChannelAttribution)")
        return
    given = paths.rename(columns={"conversions": "total_conversions", "non_conversions": "nulls"})
    began = time.perf_counter()
    theirs = markov_model(
        given, "path", "total_conversions", var_null="nulls", order=1, sep=">", verbose=0
    )
    peer = time.perf_counter() - began
    shares = theirs.set_index("channel_name")["total_conversions"]
    shares = shares / shares.sum()
    peer_error = (shares.reindex(truth.index) - truth).abs().max()
    print(
        f"  peer: ChannelAttribution markov_model (simulated)      {peer:7.2f} s  "
        f"(largest error {peer_error:.4f}); time ratio crmlab / peer {attributed / peer:.1f}"
    )


if __name__ == "__main__":
    main()
