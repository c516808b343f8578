"""Kaplan-Meier estimates for many groups at once, vectorized (millions of tickets, hundreds
of category x channel x month groups, one sort).

Times still running at the cut-off (an open ticket) are right-censored: they count as "at
risk" up to their censoring time and never as an event. At tied times events come before
censorings, as in statsmodels' ``SurvfuncRight`` and R's ``survfit``; a quantile q is the
smallest time t with S(t) <= 1 - q (the median is the first time half the tickets are
done), and NaN when the curve never gets that low (too many still open).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

# S(t) summed in logs over tens of thousands of steps can miss exactly 0.5 by ~1e-12 (seen
# at 5M tickets); real steps near 0.5 differ by far more than 1e-9
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Grouping:
    """Rows sorted into groups once, for several curves over the same groups.

    labels: one row per group (its key columns), in group-number order. codes: each row's
    group number. by_group: row positions ordered by group (stable); bounds: where each
    group's rows start and end in it.
    """

    labels: pd.DataFrame
    codes: np.ndarray
    by_group: np.ndarray
    bounds: np.ndarray


@dataclass(frozen=True)
class Curves:
    """Kaplan-Meier curves of many groups. labels: one row per group (key columns). The
    arrays hold one entry per (group, distinct time), sorted by group then time: ``group``
    (the group's row number in labels), ``time``, ``at_risk``, ``events`` and ``survival``
    (S just after that time); ``steps`` is the same as a table."""

    labels: pd.DataFrame
    group: np.ndarray
    time: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    survival: np.ndarray

    @property
    def steps(self) -> pd.DataFrame:
        names = ("group", "time", "at_risk", "events", "survival")
        return pd.DataFrame({name: getattr(self, name) for name in names})


def grouping(groups: pd.DataFrame) -> Grouping:
    """Group numbers of the rows of ``groups`` (zero columns: one group of all rows)."""
    keys = list(groups.columns)
    if keys:
        grouped = groups.groupby(keys, sort=True, dropna=False, observed=True)
        codes = grouped.ngroup().to_numpy()
        first_rows = np.unique(codes, return_index=True)[1]  # in group-number order
        labels = groups.iloc[first_rows].reset_index(drop=True)
    else:
        codes = np.zeros(len(groups), dtype=np.int64)
        labels = pd.DataFrame(index=[0])
    by_group = np.argsort(codes, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=len(labels)))])
    return Grouping(labels, codes, by_group, bounds)


def km_steps(groups, times, events) -> Curves:
    """The Kaplan-Meier curve of each group (see ``Curves``).

    groups: a frame of group labels aligned with ``times`` (zero columns for one curve), or
    a ``Grouping`` of them to share between curves. times: each row's time to the event or
    to censoring, all in one unit; events: 1/True = the event happened, 0/False = censored.
    Rows are ordered by (group, time), then every curve comes from running sums over all
    groups at once.
    """
    split = groups if isinstance(groups, Grouping) else grouping(groups)
    time = np.asarray(times, float)
    event = np.asarray(events, float)
    if len(time) == 0:
        empty = np.array([], float)
        return Curves(split.labels, empty.astype(int), empty, empty, empty, empty)
    order = np.concatenate(
        [
            segment[np.argsort(time[segment], kind="stable")]
            for segment in (split.by_group[a:b] for a, b in itertools.pairwise(split.bounds))
        ]
    )
    code, time, event = split.codes[order], time[order], event[order]
    step = np.ones(len(time), bool)
    step[1:] = (code[1:] != code[:-1]) | (time[1:] != time[:-1])
    starts = np.flatnonzero(step)
    events_at = np.add.reduceat(event, starts)
    step_code = code[starts]
    group_end = split.bounds[1:]  # position after each group's last row, in sorted order
    at_risk = (group_end[step_code] - starts).astype(float)  # rows of the group with time >= t
    # S(t) as a product per group = exp(running sum of log(1 - d/n)) from the group's start;
    # a step with d = n (everyone left had the event) sends S to 0 for the rest of the group
    final = events_at >= at_risk
    with np.errstate(divide="ignore", invalid="ignore"):
        log_step = np.where(final, 0.0, np.log1p(-events_at / at_risk))
    first_step = np.ones(len(starts), bool)
    first_step[1:] = step_code[1:] != step_code[:-1]
    lengths = np.diff(np.append(np.flatnonzero(first_step), len(starts)))
    running, dead = np.cumsum(log_step), np.cumsum(final)
    at_start = np.repeat(running[first_step] - log_step[first_step], lengths)
    dead_before = np.repeat(dead[first_step] - final[first_step], lengths)
    survival = np.where(dead > dead_before, 0.0, np.exp(running - at_start))
    return Curves(split.labels, step_code, time[starts], at_risk, events_at, survival)


def km_quantiles(curves: Curves, quantiles) -> pd.DataFrame:
    """Per group (the labels' key columns), the time by which a share q has had the event,
    for each q in ``quantiles``: columns ``p50``, ``p90``, ... (NaN where never reached)."""
    out = curves.labels.copy()
    for q in quantiles:
        reached = np.flatnonzero(curves.survival <= 1 - q + _TOLERANCE)
        found, first = np.unique(curves.group[reached], return_index=True)  # earliest time
        column = np.full(len(out), np.nan)
        column[found.astype(int)] = curves.time[reached[first]]
        out[quantile_name(q)] = column
    return out


def km_share_by(curves: Curves, target: float) -> pd.DataFrame:
    """Per group, the estimated share done within ``target``: 1 - S(target)."""
    before = np.flatnonzero(curves.time <= target)
    out = curves.labels.copy()
    survival = np.ones(len(out))  # no event by the target yet: S = 1
    if len(before):
        latest = before[::-1]  # the first of each group in reverse is its last step
        found, last = np.unique(curves.group[latest], return_index=True)
        survival[found.astype(int)] = curves.survival[latest[last]]
    out["within"] = 1 - survival
    return out


def quantile_name(q: float) -> str:
    """0.5 -> "p50", 0.9 -> "p90", 0.95 -> "p95"."""
    return f"p{100 * q:g}".replace(".", "_")
