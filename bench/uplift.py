"""Benchmark: uplift learners on 1,000,000 customers of a randomized campaign.

    python bench/uplift.py [--customers 1_000_000]

``uplift.planted_campaign`` customers (five features, known per-customer effects). Fits
each crmlab learner on all of them, side by side with the floor: the two outcome models of
a T-learner fitted directly with scikit-learn (the least work any learner does). Then
scores and evaluates (AUUC, Qini, uplift@k with 50 bootstrap resamples) on a held-out
quarter. Prints seconds, ratios to the floor, the correlation with the true effects and
peak memory.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
from sklearn.base import clone

from crmlab import uplift


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    units = uplift.planted_campaign(args.customers, random_state=0).units
    x, t, y = units[uplift.FEATURES], units["treated"].to_numpy(), units["converted"].to_numpy()
    print(f"{args.customers:,} customers", flush=True)
    start = time.perf_counter()
    base = uplift.default_base()
    mu1 = clone(base).fit(x[t == 1], y[t == 1])
    mu0 = clone(base).fit(x[t == 0], y[t == 0])
    floor = time.perf_counter() - start
    print(f"floor: two outcome models   {floor:6.1f} s", flush=True)
    held = np.arange(len(units)) % 4 == 0
    for kind in uplift.LEARNERS:
        start = time.perf_counter()
        model = uplift.fit_uplift(x, t, y, learner=kind)
        seconds = time.perf_counter() - start
        r = np.corrcoef(model.predict(x[held]), units["effect"].to_numpy()[held])[0, 1]
        ratio = seconds / floor
        print(f"{kind.upper():>2}-learner fit  {seconds:6.1f} s ({ratio:.1f}x the floor), "
              f"r(true effect) = {r:.3f}", flush=True)  # fmt: skip
    start = time.perf_counter()
    scores = {"dr": model.predict(x[held]), "t": mu1.predict(x[held]) - mu0.predict(x[held])}
    table = uplift.evaluate(y[held], t[held], scores, n_boot=50)
    seconds = time.perf_counter() - start
    print(f"score + evaluate {held.sum():,} held out (50 resamples): {seconds:.1f} s")
    print(table[["score", "auuc", "auuc_low", "auuc_high"]].round(4).to_string(index=False))
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.1f} GB")


if __name__ == "__main__":
    main()
