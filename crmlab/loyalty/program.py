"""Program KPIs per month, and how long members take to reach a tier.

Definitions (per period, ``period`` "M" or "W"):

* new_members: members whose first membership span starts in the period; members: all who
  joined by the period's end (leaving is not recorded in the contract, so this counts
  enrolments, not current members).
* active_members: members with an earn or redeem event in the period.
* issued: points added (earn and positive adjustments); redeemed, expired, taken_back:
  points leaving by redemption, expiry and negative adjustments (positive numbers).
* redemption_rate: redeemed / issued in the period (can exceed 1: old points spent).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.validate import resolve_as_of
from ..errors import ParameterError
from ..voice.kaplan_meier import km_quantiles, km_steps
from .inputs import require
from .points import ledger

PERIODS = {"M": "month", "W": "week"}


def program_kpis(
    loyalty_events: pd.DataFrame, memberships: pd.DataFrame, as_of, period: str = "M"
) -> pd.DataFrame:
    """One row per period up to ``as_of`` with the KPIs of the module docstring."""
    if period not in PERIODS:
        raise ParameterError(f"period={period!r}: use 'M' (months) or 'W' (weeks).")
    as_of = resolve_as_of(as_of)
    book = ledger(loyalty_events, as_of)
    when = as_periods(book["occurred_at"], period)
    points = book["points"]
    kind = book["kind"]
    flows = (
        pd.DataFrame(
            {
                "issued": points.where(points > 0, 0.0),
                "redeemed": -points.where(kind.eq("redeem"), 0.0),
                "expired": -points.where(kind.eq("expire"), 0.0),
                "taken_back": -points.where(kind.eq("adjust") & (points < 0), 0.0),
            }
        )
        .groupby(when.to_numpy())
        .sum()
    )
    active = book[kind.isin(("earn", "redeem"))]
    active_members = active.groupby(as_periods(active["occurred_at"], period).to_numpy())[
        "customer_id"
    ].nunique()
    require(memberships, "memberships", ("customer_id", "from_at"))
    joined = memberships.groupby("customer_id")["from_at"].min()
    joined = joined[joined <= as_of]
    new_members = as_periods(joined, period).value_counts()
    start = min(flows.index.min(), new_members.index.min()) if len(joined) else flows.index.min()
    index = pd.period_range(start, as_periods(pd.Series([as_of]), period).iloc[0], freq=period)
    out = pd.DataFrame(index=index)
    out["new_members"] = new_members.reindex(index, fill_value=0)
    out["members"] = out["new_members"].cumsum()
    out["active_members"] = active_members.reindex(index, fill_value=0)
    out = out.join(flows.reindex(index, fill_value=0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        out["redemption_rate"] = np.where(
            out["issued"] > 0, out["redeemed"] / out["issued"], np.nan
        )
    out.index = out.index.astype(str).rename(PERIODS[period])
    return out.reset_index()


def time_to_tier(
    memberships: pd.DataFrame, tier: str, tiers: list[str] | dict, as_of, quantiles=(0.25, 0.5)
) -> pd.DataFrame:
    """Days from joining to first holding ``tier`` or a higher one, as Kaplan-Meier
    quantiles: members who have not reached it yet count as censored at ``as_of``.

    tiers: the tier names from lowest to highest (or a threshold table, whose order is by
    threshold). Returns one row: members, reached, and a column per quantile (days; NaN
    when fewer than that share will have reached it by the longest time seen).
    """
    require(memberships, "memberships", ("customer_id", "tier", "from_at"))
    order = sorted(tiers, key=tiers.get) if isinstance(tiers, dict) else list(tiers)
    if tier not in order:
        raise ParameterError(f"tier={tier!r} is not one of the tiers {order}.")
    unknown = sorted(set(memberships["tier"]) - set(order))
    if unknown:
        raise ParameterError(f"memberships has tiers {unknown} not in {order}.")
    as_of = resolve_as_of(as_of)
    spans = memberships[memberships["from_at"] <= as_of]
    joined = spans.groupby("customer_id")["from_at"].min()
    high = spans[spans["tier"].map(order.index) >= order.index(tier)]
    reached = high.groupby("customer_id")["from_at"].min().reindex(joined.index)
    end = reached.fillna(as_of)
    days = ((end - joined) / pd.Timedelta(days=1)).to_numpy(float)
    curves = km_steps(pd.DataFrame(index=joined.index), days, reached.notna().to_numpy())
    table = km_quantiles(curves, quantiles)
    table.insert(0, "members", len(joined))
    table.insert(1, "reached", int(reached.notna().sum()))
    return table


def as_periods(moments: pd.Series, period: str = "M") -> pd.Series:
    """UTC moments as calendar periods ("M" months, "W" weeks) of UTC time."""
    naive = moments.dt.tz_convert(None) if moments.dt.tz is not None else moments
    return naive.dt.to_period(period)
