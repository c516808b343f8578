"""Member tiers: who sits in which tier under a threshold table, how members moved between
two dates, and what a new threshold table would do to today's members.

A threshold table maps each tier to the qualifying value (points, spend, ... in the last
12 months, say) from which it starts: ``{"bronze": 0, "silver": 500, "gold": 2000}``. A
member gets the highest tier whose threshold their value reaches; tiers are ranked by
threshold, so "up" and "down" are defined.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.validate import resolve_as_of
from ..errors import ParameterError, whole_number
from .inputs import require

MOVES = ("up", "stay", "down", "joined", "left")


def assign_tiers(values: pd.Series, thresholds: dict) -> pd.Series:
    """The tier of each value: the highest tier whose threshold it reaches. Values below the
    lowest threshold (or missing) get no tier (missing)."""
    ranked = _ranked(thresholds)
    names = np.array([name for name, _ in ranked], dtype=object)
    starts = np.array([start for _, start in ranked], dtype=float)
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(float)
    position = np.searchsorted(starts, numbers, side="right") - 1
    tiers = np.where((position >= 0) & ~np.isnan(numbers), names[np.clip(position, 0, None)], None)
    return pd.Series(tiers, index=values.index, name="tier", dtype="object")


def tier_migration(before: pd.Series, after: pd.Series, thresholds: dict) -> pd.DataFrame:
    """Members' tiers at two dates (Series indexed by customer id; missing = no tier) as a
    migration matrix: rows the tier before, columns the tier after, counts of customers;
    "none" for no tier. ``thresholds`` gives the tiers' order."""
    order = [name for name, _ in _ranked(thresholds)]
    both = pd.concat([before.rename("before"), after.rename("after")], axis=1)
    both = both.fillna("none")
    labels = ["none", *order]
    unknown = sorted((set(both["before"]) | set(both["after"])) - set(labels))
    if unknown:
        raise ParameterError(f"tiers {unknown} are not in the threshold table {order}.")
    matrix = pd.crosstab(both["before"], both["after"]).reindex(
        index=labels, columns=labels, fill_value=0
    )
    matrix.index.name, matrix.columns.name = "before", "after"
    return matrix


def moves(before: pd.Series, after: pd.Series, thresholds: dict) -> pd.Series:
    """Per customer: "up", "stay", "down", "joined" (no tier before) or "left" (no tier
    after); customers without a tier at both dates are not listed."""
    rank = {name: i for i, (name, _) in enumerate(_ranked(thresholds))}
    both = pd.concat([before.rename("before"), after.rename("after")], axis=1)
    both = both[both["before"].notna() | both["after"].notna()]
    was = both["before"].map(rank)
    now = both["after"].map(rank)
    move = np.select(
        [was.isna(), now.isna(), now > was, now < was],
        ["joined", "left", "up", "down"],
        default="stay",
    )
    return pd.Series(move, index=both.index, name="move")


def rescore(values: pd.Series, current: dict, proposed: dict) -> pd.DataFrame:
    """What a proposed threshold table would do: every member's tier under the current and
    the proposed table, as a migration matrix (rows current, columns proposed). The two
    tables must name the same tiers."""
    if set(current) != set(proposed):
        raise ParameterError(
            f"the proposed tiers {sorted(proposed)} differ from the current {sorted(current)}; "
            "re-scoring compares the same tiers under other thresholds."
        )
    return tier_migration(assign_tiers(values, current), assign_tiers(values, proposed), current)


def qualifying_points(
    loyalty_events: pd.DataFrame, at, window_days: int = 365, kinds=("earn",)
) -> pd.Series:
    """Points each customer earned in the ``window_days`` up to ``at``: events with
    at - window < occurred_at <= at, of the given ``kinds`` (earn by default: welcome
    bonuses, corrections and redemptions do not qualify). A Series indexed by customer_id,
    for ``assign_tiers`` / ``rescore``; customers without such events are not listed."""
    require(
        loyalty_events,
        "loyalty_events",
        ("customer_id", "occurred_at", "kind", "points"),
        numbers=("points",),
    )
    whole_number("window_days", window_days, of="days")
    at = resolve_as_of(at)
    moment = loyalty_events["occurred_at"]
    inside = (moment <= at) & (moment > at - pd.Timedelta(days=window_days))
    chosen = loyalty_events[inside & loyalty_events["kind"].isin(list(kinds))]
    return chosen.groupby("customer_id")["points"].sum().rename("qualifying_points")


def tiers_at(memberships: pd.DataFrame, at) -> pd.Series:
    """The tier each member held at ``at`` (from_at <= at < to_at, an empty to_at meaning
    still held): a Series indexed by customer_id; members not holding one are not listed."""
    require(memberships, "memberships", ("customer_id", "tier", "from_at"))
    at = resolve_as_of(at)
    held = memberships["from_at"] <= at
    if "to_at" in memberships:
        until = memberships["to_at"]
        held &= until.isna() | (until > at)
    return memberships[held].set_index("customer_id")["tier"].rename("tier")


def tier_sizes(memberships: pd.DataFrame, dates, thresholds: dict) -> pd.DataFrame:
    """Members per tier at each of ``dates`` (rows: date; columns: tiers, lowest first)."""
    order = [name for name, _ in _ranked(thresholds)]
    unknown = sorted(set(memberships["tier"]) - set(order))
    if unknown:
        raise ParameterError(f"memberships has tiers {unknown} not in {order}.")
    rows = {}
    for date in dates:
        moment = resolve_as_of(date)
        rows[moment] = tiers_at(memberships, moment).value_counts().reindex(order, fill_value=0)
    table = pd.DataFrame.from_dict(rows, orient="index").astype("int64")
    table.index.name = "date"
    return table


def _ranked(thresholds: dict) -> list[tuple[str, float]]:
    if not isinstance(thresholds, dict) or not thresholds:
        raise ParameterError(
            "thresholds must map each tier to where it starts, e.g. "
            "{'bronze': 0, 'silver': 500, 'gold': 2000}."
        )
    for name, start in thresholds.items():
        if isinstance(start, bool) or not isinstance(start, int | float) or np.isnan(start):
            raise ParameterError(f"the threshold of tier {name!r} is {start!r}: give a number.")
    ranked = sorted(thresholds.items(), key=lambda item: item[1])
    starts = [start for _, start in ranked]
    if len(set(starts)) < len(starts):
        raise ParameterError(f"two tiers start at the same value: {thresholds}.")
    return [(str(name), float(start)) for name, start in ranked]
