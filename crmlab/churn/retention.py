"""Retention without a model: the cohort triangle and Kaplan-Meier survival curves.

- ``cohort_retention``: customers grouped by the period of their first completed order
  (acquisition cohort); for k = 0, 1, 2, ... the share of each cohort with a completed order
  in period cohort + k. Computed in SQL (DuckDB, or Spark with ``engine=``).
- ``lifetimes_from_orders``: a customer's observed lifetime for survival analysis in a shop
  (non-contractual): churn is declared when the last order is more than ``inactive_days``
  before ``as_of``; the lifetime is first -> last order for them (event) and first order ->
  as_of for the others (censored: still buying).
- ``survival``: Kaplan-Meier curves (statsmodels' ``SurvfuncRight``) with pointwise
  1 - alpha CIs, overall or by group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from statsmodels.duration.survfunc import SurvfuncRight

from ..data.validate import resolve_as_of
from ..errors import ParameterError
from ..features import OrdersSource, customer_summary
from ..features.calendar import cohort_buyers
from ..intervals import check_alpha, z_value
from ..units import UNIT_NAMES, TimeUnit, days_per_unit

_PERIODS = {"M": ("month", 12), "Q": ("quarter", 4), "W": ("week", 52)}


def cohort_retention(
    orders: OrdersSource, period: Literal["M", "Q", "W"] = "M", engine=None
) -> pd.DataFrame:
    """The retention triangle: rows = acquisition cohorts (period start), columns = periods
    since acquisition (0, 1, ...), values = share of the cohort buying in that period (the
    cohort's own period is 1.0 by definition). ``cohort_size`` is the first column.

    orders: a DataFrame, CRMData, Parquet path or (on Spark) a Spark DataFrame. engine:
    where the SQL runs (None: embedded DuckDB; a SparkSession or Spark Connect address)."""
    if period not in _PERIODS:
        raise ParameterError(f"period={period!r}: use 'M' (month), 'Q' (quarter) or 'W' (week).")
    unit, per_year = _PERIODS[period]
    tidy = cohort_buyers(orders, unit, per_year, engine)  # purchases: completed orders only
    if tidy.empty:
        raise ParameterError("no completed orders: nothing to build cohorts from.")
    counts = tidy.pivot(index="cohort", columns="k", values="buyers")
    size = counts[0]
    triangle = counts.div(size, axis=0)
    triangle.insert(0, "cohort_size", size.astype("int64"))
    triangle.columns.name = f"{unit}s since first order"
    return triangle


def lifetimes_from_orders(
    orders: OrdersSource, as_of, inactive_days: float = 180, engine=None
) -> pd.DataFrame:
    """Per customer: duration_days and churned (1 = event observed, 0 = censored); see the
    module docstring for the definitions. engine: where the summary's SQL runs."""
    if inactive_days <= 0:
        raise ParameterError(f"inactive_days={inactive_days} must be > 0.")
    as_of = resolve_as_of(as_of)
    summary = customer_summary(orders, as_of, engine=engine).table
    churned = summary["days_since_last_order"] > inactive_days
    end = summary["last_order_at"].where(churned, as_of)
    return pd.DataFrame(
        {
            "duration_days": (end - summary["first_order_at"]) / pd.Timedelta(days=1),
            "churned": churned.astype("int64"),
        }
    )


@dataclass(frozen=True)
class Survival:
    """Kaplan-Meier curves. curves: group, time (in ``time_unit``), survival, ci_low,
    ci_high (pointwise, level 1 - alpha), at_risk. too_small: groups left out because they
    have fewer than min_size customers."""

    curves: pd.DataFrame
    too_small: tuple[str, ...]
    time_unit: str
    alpha: float

    @property
    def unit_name(self) -> str:
        return UNIT_NAMES[self.time_unit]


def survival(
    durations: pd.Series,
    events: pd.Series,
    time_unit: TimeUnit,
    groups: pd.Series | None = None,
    min_size: int = 30,
    alpha: float = 0.05,
) -> Survival:
    """Kaplan-Meier survival per group (or overall); see ``Survival``.

    durations: time from start to the event or censoring, in ``time_unit`` ("D", "W", "M").
    events: 1 = churned (event observed), 0 = censored (still a customer).
    """
    days_per_unit(time_unit)
    check_alpha(alpha)
    frame = pd.DataFrame({"t": durations, "e": events})
    if frame.isna().any().any():
        raise ParameterError("durations and events must not have missing values.")
    if (frame["t"] < 0).any():
        raise ParameterError("durations must be >= 0.")
    if not set(pd.unique(frame["e"])) <= {0, 1}:
        raise ParameterError("events must be 0 (censored) or 1 (churned).")
    frame["g"] = "all" if groups is None else groups.reindex(frame.index).astype(str)
    curves, small = [], []
    for group, part in frame.groupby("g", sort=True):
        if len(part) < min_size:
            small.append(group)
            continue
        km = SurvfuncRight(part["t"].to_numpy(float), part["e"].to_numpy(int))
        low, high = _pointwise(km, alpha)
        curves.append(
            pd.DataFrame(
                {
                    "group": group,
                    "time": np.r_[0.0, km.surv_times],
                    "survival": np.r_[1.0, km.surv_prob],
                    "ci_low": np.r_[1.0, low],
                    "ci_high": np.r_[1.0, high],
                    "at_risk": np.r_[len(part), km.n_risk],
                }
            )
        )
    if not curves:
        raise ParameterError(f"no group has {min_size} customers; lower min_size.")
    return Survival(pd.concat(curves, ignore_index=True), tuple(small), time_unit, alpha)


def _pointwise(km: SurvfuncRight, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise 1 - alpha CI on the log(-log) scale (stays inside [0, 1])."""
    s = np.clip(km.surv_prob, 1e-12, 1 - 1e-12)
    se = km.surv_prob_se / (s * np.abs(np.log(s)))
    z = z_value(alpha)
    return s ** np.exp(z * se), s ** np.exp(-z * se)
