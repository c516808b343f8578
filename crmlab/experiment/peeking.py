"""What peeking costs: A/A experiments simulated, read every day by three rules.

Both arms convert at the same rate, so every "significant" result is a false positive.
- fixed horizon, peeked daily: the two-proportion z-test at 1 - alpha, stopping at the
  first day it rejects (what people do with a fixed-horizon dashboard);
- always valid: the mixture SPRT of ``sequential.always_valid``, read every day;
- group sequential: O'Brien-Fleming-type boundaries at a few planned looks;
- fixed horizon, one look: the z-test once, on the last day (the design's own rule).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ParameterError, whole_number
from ..intervals import check_alpha
from ..randomness import generator
from .group_sequential import group_sequential_bounds
from .sequential import always_valid

RULES = (
    "fixed horizon, peeked daily",
    "always valid (mSPRT), peeked daily",
    "group sequential (O'Brien-Fleming)",
    "fixed horizon, one look at the end",
)


def peeking_simulation(
    experiments: int = 2_000,
    days: int = 28,
    units_per_day: int = 200,
    rate: float = 0.1,
    alpha: float = 0.05,
    looks: int = 4,
    tuning: float | None = None,
    random_state: int = 0,
) -> pd.DataFrame:
    """Share of A/A experiments declared significant by each day, under each rule (RULES).

    experiments: simulated A/A tests. days: their length. units_per_day: new units per arm
    per day. rate: the conversion rate of both arms. looks: planned analyses of the group-
    sequential rule, equally spaced over the days. tuning: the always-valid test's tuning
    (default: the planned total, 2 x days x units_per_day).
    Returns one row per day and rule: day, rule, false_positive_rate (cumulative: share of
    experiments that have rejected by that day), experiments.
    """
    for name, value in {"experiments": experiments, "days": days, "looks": looks}.items():
        whole_number(name, value)
    whole_number("units_per_day", units_per_day)
    check_alpha(alpha)
    if not 0 < rate < 1:
        raise ParameterError(f"rate={rate!r}: the conversion rate of both arms, in (0, 1).")
    rng = generator(random_state)
    converted = rng.binomial(units_per_day, rate, size=(2, experiments, days)).cumsum(axis=2)
    n = units_per_day * np.arange(1, days + 1)
    p_a, p_b = converted[0] / n, converted[1] / n
    se = np.sqrt((p_a * (1 - p_a) + p_b * (1 - p_b)) / n)
    diff = p_b - p_a
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, diff / se, 0.0)
    naive = np.abs(z) >= stats.norm.isf(alpha / 2)
    _, _, p_seq = always_valid(diff, se, 2 * n, alpha, tuning or 2 * n[-1])
    look_days = np.unique(np.ceil(np.arange(1, looks + 1) * days / looks).astype(int)) - 1
    bounds = group_sequential_bounds(len(look_days), alpha, "obrien_fleming", sided=2)
    grouped = np.zeros_like(naive)
    grouped[:, look_days] = np.abs(z[:, look_days]) >= bounds
    once = np.zeros_like(naive)
    once[:, -1] = naive[:, -1]
    rows = []
    for rule, rejected in zip(RULES, (naive, p_seq < alpha, grouped, once), strict=True):
        by_day = np.logical_or.accumulate(rejected, axis=1).mean(axis=0)
        rows.append(pd.DataFrame({"day": np.arange(1, days + 1), "rule": rule,
                                  "false_positive_rate": by_day}))  # fmt: skip
    table = pd.concat(rows, ignore_index=True)
    table["experiments"] = experiments
    return table
