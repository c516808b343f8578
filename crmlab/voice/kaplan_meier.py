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

import numpy as np
import pandas as pd

_TOLERANCE = 1e-12  # S(t) computed as a product can miss 0.5 by a rounding error


def km_steps(groups: pd.DataFrame, times, events) -> pd.DataFrame:
    """The Kaplan-Meier curve of each group: one row per (group, distinct time) with
    ``time``, ``at_risk``, ``events`` and ``survival`` (S just after that time).

    groups: a frame of group labels (zero columns for one curve), aligned with ``times``
    (each row's time to the event or to censoring, all in one unit) and ``events``
    (1/True = the event happened, 0/False = censored). Rows are ordered by (group, time),
    then every curve comes from running sums over all groups at once.
    """
    keys = list(groups.columns)
    time = np.asarray(times, float)
    event = np.asarray(events, float)
    if keys:
        codes = groups.groupby(keys, sort=True, dropna=False, observed=True).ngroup().to_numpy()
    else:
        codes = np.zeros(len(time), dtype=np.int64)
    order = _by_group_then_time(codes, time)
    code, time, event = codes[order], time[order], event[order]
    if len(time) == 0:
        return pd.DataFrame(columns=[*keys, "time", "at_risk", "events", "survival"])
    step = np.ones(len(time), bool)
    step[1:] = (code[1:] != code[:-1]) | (time[1:] != time[:-1])
    starts = np.flatnonzero(step)
    events_at = np.add.reduceat(event, starts)
    step_code = code[starts]
    size = np.bincount(code)
    group_end = np.cumsum(size)  # position after each group's last row, in sorted order
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
    steps = pd.DataFrame(
        {"time": time[starts], "at_risk": at_risk, "events": events_at, "survival": survival}
    )
    if keys:
        labels = groups.iloc[order[starts]][keys].reset_index(drop=True)
        steps = pd.concat([labels, steps], axis=1)
    return steps[[*keys, "time", "at_risk", "events", "survival"]]


def _by_group_then_time(codes: np.ndarray, time: np.ndarray) -> np.ndarray:
    """Row order by group, then time: a stable radix partition by group, then a sort of each
    group's times (small sorts stay in cache; one sort of millions of (group, time) pairs is
    several times slower)."""
    by_group = np.argsort(codes, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(codes))])
    parts = [
        segment[np.argsort(time[segment], kind="stable")]
        for segment in (by_group[a:b] for a, b in itertools.pairwise(bounds))
    ]
    return np.concatenate(parts) if parts else by_group


def km_quantiles(steps: pd.DataFrame, keys: list[str], quantiles) -> pd.DataFrame:
    """Per group, the time by which a share q of the population has had the event (for each
    q in ``quantiles``): columns ``p50``, ``p90``, ... (NaN where never reached)."""
    out = _group_frame(steps, keys)
    for q in quantiles:
        reached = steps[steps["survival"] <= 1 - q + _TOLERANCE]
        if keys:
            first = reached.groupby(keys, sort=False, dropna=False, observed=True)["time"].min()
            column = out.merge(first.rename("t").reset_index(), on=keys, how="left")["t"]
        else:
            column = pd.Series([reached["time"].min() if len(reached) else np.nan])
        out[quantile_name(q)] = column.to_numpy(float)
    return out


def km_share_by(steps: pd.DataFrame, keys: list[str], target: float) -> pd.DataFrame:
    """Per group, the estimated share done within ``target``: 1 - S(target)."""
    before = steps[steps["time"] <= target]
    out = _group_frame(steps, keys)
    if keys:
        last = before.groupby(keys, sort=False, dropna=False, observed=True)["survival"].last()
        merged = out.merge(last.rename("s").reset_index(), on=keys, how="left")["s"]
    else:
        merged = pd.Series([before["survival"].iloc[-1] if len(before) else np.nan])
    out["within"] = 1 - merged.fillna(1.0).to_numpy(float)  # no event yet: S = 1
    return out


def quantile_name(q: float) -> str:
    """0.5 -> "p50", 0.9 -> "p90", 0.95 -> "p95"."""
    return f"p{100 * q:g}".replace(".", "_")


def _group_frame(steps: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    if not keys:
        return pd.DataFrame(index=[0])
    return steps[keys].drop_duplicates().reset_index(drop=True)
