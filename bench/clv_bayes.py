"""Benchmark: Bayesian BG/NBD + Gamma-Gamma on 100,000 customers, crmlab vs PyMC-Marketing.

    python bench/clv_bayes.py [--customers 100_000] [--resolution days] [--skip-peer]

The summary is simulated from the BG/NBD and Gamma-Gamma processes (``bench/clv.py``).
Contenders, on the 2 cores:

- crmlab ``clv.fit(method="bayes")``: at this size the Laplace approximation around the
  posterior mode (``Sampling(method="auto")`` chooses it beyond 20,000 compressed
  histories); ``--method nuts`` forces NUTS (2 chains x 1,000 draws after 1,000 tuning
  steps, compressed histories, dense mass matrix);
- PyMC-Marketing's ``BetaGeoModel`` and ``GammaGammaModel`` as shipped (one likelihood term
  per customer, its default priors), one after the other: ``fit_method="map"`` (a point
  estimate, no intervals), and with ``--peer-nuts`` its NUTS (2 x 1,000 after 1,000);
- the floor: crmlab's maximum-likelihood fit of the same models (no intervals).

Then the per-customer credible intervals (P(alive), purchases and CLV over 12 months, from
200 draws) are timed. Target (issue 21): fit of 100k customers under 2 minutes.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd
from clv import simulate_summary  # bench/clv.py

from crmlab import clv
from crmlab.features import CustomerSummary

TRUTH = {"r": 0.75, "alpha": 6.0, "a": 0.8, "b": 3.0, "p": 6.0, "q": 4.0, "v": 40.0}


def timed(label, fn):
    start = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - start
    print(f"  {label:<52} {seconds:8.1f} s", flush=True)
    return out, seconds


def pymc_marketing_fit(s: pd.DataFrame, fit_method: str, seed: int = 0):
    from pymc_marketing.clv import BetaGeoModel, GammaGammaModel

    data = s.reset_index(drop=True).rename_axis("customer_id").reset_index()
    settings = dict(fit_method=fit_method, progressbar=False)
    if fit_method == "mcmc":
        settings |= dict(draws=1000, tune=1000, chains=2, cores=2, random_seed=seed)
    purchases = BetaGeoModel()
    purchases.fit(data=data[["customer_id", "frequency", "recency", "T"]], **settings)
    repeat = data[(data["frequency"] > 0) & (data["monetary_value"] > 0)]
    spend = GammaGammaModel()
    spend.fit(data=repeat[["customer_id", "frequency", "monetary_value"]], **settings)

    def means(model) -> dict:  # a table of posterior summaries, or MAP's point estimates
        summary = model.fit_summary()
        return (summary["mean"] if isinstance(summary, pd.DataFrame) else summary).to_dict()

    return means(purchases) | means(spend)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--resolution", choices=["weeks", "days"], default="days")
    parser.add_argument("--method", choices=["auto", "nuts", "laplace"], default="auto")
    parser.add_argument("--peer-nuts", action="store_true", help="PyMC-Marketing's NUTS too")
    args = parser.parse_args()
    s = simulate_summary(args.customers, args.resolution)
    summary = CustomerSummary.from_frame(s, "2024-12-31", time_unit="W")
    patterns = s.groupby(["frequency", "recency", "T"]).ngroups
    repeat = s[s["frequency"] > 0]
    spend_patterns = repeat.groupby(["frequency", "monetary_value"]).ngroups
    print(f"{len(s):,} customers ({args.resolution}): {patterns:,} purchase patterns, ")
    print(f"  {len(repeat):,} repeat buyers in {spend_patterns:,} spend patterns")
    _, floor = timed("floor: crmlab maximum likelihood (no intervals)", lambda: clv.fit(summary))
    sampling = clv.Sampling(method=args.method)
    model, ours = timed(
        f"crmlab clv.fit(method='bayes'), {args.method}",
        lambda: clv.fit(summary, method="bayes", sampling=sampling),
    )
    _, scoring = timed("crmlab intervals per customer (200 draws)", model.intervals)
    post = model.posterior
    print(f"  ran: {post.method} on {post.rows:,} rows; converged: {post.converged}")
    rows = {"truth": TRUTH, "crmlab": {**model.params, **model.spend_params}}
    rows["PyMC-Marketing MAP"], theirs = timed(
        "PyMC-Marketing BetaGeoModel + GammaGammaModel, MAP", lambda: pymc_marketing_fit(s, "map")
    )
    print(f"\nPyMC-Marketing MAP (no intervals) / crmlab: {theirs / ours:.1f}x")
    if args.peer_nuts:
        rows["PyMC-Marketing NUTS"], nuts = timed(
            "PyMC-Marketing BetaGeoModel + GammaGammaModel, NUTS",
            lambda: pymc_marketing_fit(s, "mcmc"),
        )
        print(f"PyMC-Marketing NUTS / crmlab: {nuts / ours:.1f}x")
    print(f"crmlab fit / maximum-likelihood floor: {ours / floor:.1f}x")
    print(f"crmlab fit + intervals: {ours + scoring:.1f} s (target: fit < 120 s)")
    print("\nposterior means:")
    print(pd.DataFrame(rows).T.round(3).to_string())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f"peak memory (this process): {peak:.1f} GB")
    np.testing.assert_allclose(model.params["r"], TRUTH["r"], rtol=0.1)


if __name__ == "__main__":
    main()
