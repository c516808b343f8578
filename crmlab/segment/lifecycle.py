"""Lifecycle stages: new, active, at risk, lapsed, churned.

A customer is
  new       when the first purchase is at most ``new_days`` before as_of, else
  active    when the last purchase is at most ``active_days`` before as_of,
  at risk   ... at most ``at_risk_days``,
  lapsed    ... at most ``lapsed_days``,
  churned   otherwise.
Defaults come from the data's own rhythm: the typical gap g is the median, over customers
with repeat purchases, of their mean days between purchases (first to last purchase divided
by the number of repeat purchases); then new_days = active_days = g, at_risk_days = 2g and
lapsed_days = 4g.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..features import CustomerSummary
from ._summary import summary_at

STAGES = ("new", "active", "at risk", "lapsed", "churned")


@dataclass(frozen=True)
class Lifecycle:
    """Lifecycle stages at ``as_of``. table (index customer_id): days_since_first_order,
    days_since_last_order and stage (ordered categorical in ``STAGES`` order).
    thresholds_days: new_days, active_days, at_risk_days, lapsed_days as used."""

    table: pd.DataFrame
    thresholds_days: dict[str, float]
    as_of: pd.Timestamp

    @property
    def stage(self) -> pd.Series:
        return self.table["stage"]


def typical_gap_days(summary: CustomerSummary) -> float:
    """Median over repeat customers of their mean days between purchases."""
    summary.require(["first_order_at", "last_order_at"], "the typical gap between purchases")
    table = summary.table
    repeat = table[table["frequency"] > 0]
    if repeat.empty:
        raise ParameterError(
            "no customer has bought twice, so there is no typical gap between purchases; "
            "pass new_days, active_days, at_risk_days and lapsed_days explicitly."
        )
    span = (repeat["last_order_at"] - repeat["first_order_at"]) / pd.Timedelta(days=1)
    return float(np.median(span / repeat["frequency"]))


def lifecycle(
    orders_or_summary,
    as_of=None,
    new_days: float | None = None,
    active_days: float | None = None,
    at_risk_days: float | None = None,
    lapsed_days: float | None = None,
) -> Lifecycle:
    """Lifecycle stage per customer at as_of (see the module docstring for the rules).

    orders_or_summary: contract orders (with ``as_of``) or a ``CustomerSummary``.
    """
    summary = summary_at(orders_or_summary, as_of)
    summary.require(["first_order_at", "days_since_last_order"], "lifecycle stages")
    as_of = summary.as_of
    gap = None
    if None in (new_days, active_days, at_risk_days, lapsed_days):
        gap = typical_gap_days(summary)
    limits = {
        "new_days": new_days if new_days is not None else gap,
        "active_days": active_days if active_days is not None else gap,
        "at_risk_days": at_risk_days if at_risk_days is not None else 2 * gap,
        "lapsed_days": lapsed_days if lapsed_days is not None else 4 * gap,
    }
    ordered = [limits["active_days"], limits["at_risk_days"], limits["lapsed_days"]]
    if limits["new_days"] <= 0 or not all(a < b for a, b in pairwise(ordered)) or (ordered[0] <= 0):
        raise ParameterError(
            f"thresholds {limits}: need new_days > 0 and 0 < active_days < at_risk_days "
            "< lapsed_days."
        )
    table = summary.table
    out = pd.DataFrame(index=summary.customers)
    out["days_since_first_order"] = (as_of - table["first_order_at"]) / pd.Timedelta(days=1)
    out["days_since_last_order"] = table["days_since_last_order"]
    since = out["days_since_last_order"]
    stage = np.select(
        [
            out["days_since_first_order"] <= limits["new_days"],
            since <= limits["active_days"],
            since <= limits["at_risk_days"],
            since <= limits["lapsed_days"],
        ],
        STAGES[:4],
        STAGES[4],
    )
    out["stage"] = pd.Categorical(stage, categories=STAGES, ordered=True)
    return Lifecycle(out, {k: float(v) for k, v in limits.items()}, as_of)
