"""Kaplan-Meier estimates for many groups at once, vectorized (millions of tickets, hundreds
of category x channel x month groups, one sort).

Times still running at the cut-off (an open ticket) are right-censored: they count as "at
risk" up to their censoring time and never as an event. At tied times events come before
censorings, as in statsmodels' ``SurvfuncRight`` and R's ``survfit``; a quantile q is the
smallest time t with S(t) <= 1 - q (the median is the first time half the tickets are
done), and NaN when the curve never gets that low (too many still open).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_TOLERANCE = 1e-12  # S(t) computed as a product can miss 0.5 by a rounding error


def km_steps(groups: pd.DataFrame, times, events) -> pd.DataFrame:
    """The Kaplan-Meier curve of each group: one row per (group, distinct time) with
    ``time``, ``at_risk``, ``events`` and ``survival`` (S just after that time).

    groups: a frame of group labels (zero columns for one curve), aligned with ``times``
    (each row's time to the event or to censoring, all in one unit) and ``events``
    (1/True = the event happened, 0/False = censored).
    """
    keys = list(groups.columns)
    frame = groups.reset_index(drop=True).assign(
        time=np.asarray(times, float), events=np.asarray(events, float), n=1.0
    )
    if keys:
        steps = frame.groupby([*keys, "time"], sort=True, dropna=False, observed=True)[
            ["events", "n"]
        ].sum()
        steps = steps.reset_index()
        by_group = steps.groupby(keys, sort=False, dropna=False, observed=True)
        # at risk at t: the group's rows with time >= t (its total minus those before t)
        at_risk = by_group["n"].transform("sum") - by_group["n"].cumsum() + steps["n"]
    else:
        steps = frame.groupby("time", sort=True)[["events", "n"]].sum().reset_index()
        at_risk = steps["n"][::-1].cumsum()[::-1]
    steps["at_risk"] = at_risk.to_numpy()
    with np.errstate(divide="ignore"):
        log_step = np.log1p(-steps["events"].to_numpy() / steps["at_risk"].to_numpy())
    steps["log_s"] = log_step
    if keys:
        log_s = steps.groupby(keys, sort=False, dropna=False, observed=True)["log_s"].cumsum()
    else:
        log_s = steps["log_s"].cumsum()
    steps["survival"] = np.exp(log_s.to_numpy())
    return steps[[*keys, "time", "at_risk", "events", "survival"]]


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
