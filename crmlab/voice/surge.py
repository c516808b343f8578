"""Surge monitoring for brand health: days when complaints (or the detractor share, or the
share of negative comments) are unusual given trend, weekday and season.

Each series is split by a robust STL decomposition (Cleveland et al. 1990; statsmodels'
``STL(robust=True)``) into a trend (a long window, so it follows the season but not a surge),
a weekday pattern and a remainder. Counts are first put on the Anscombe scale
2 sqrt(y + 3/8), where Poisson noise has variance about 1 whatever the level; shares are
standardized by their binomial standard error at the pooled share (a day of one answer is
not a surge). The remainder in robust units
(divided by 1.4826 x its median absolute deviation) says how unusual a day is:

* a **spike** is a day above ``threshold`` robust units (default 4: about one false alarm
  in 30,000 quiet days if the remainder were normal);
* a **drift** is a slow rise the trend window would absorb day by day: a one-sided CUSUM
  of the robust remainder (reference ``cusum_k``, limit ``cusum_h``) raises it, dated from
  the day the sum started to grow.

Robust fitting gives a past surge almost no weight, so it neither inflates the limits nor
bends the trend, and the next surge is still seen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.nonparametric.smoothers_lowess import lowess
from statsmodels.tsa.seasonal import STL

from ..data.validate import resolve_as_of
from ..errors import ParameterError
from .inputs import group_columns

MAD_TO_SD = 1.4826  # MAD x 1.4826 estimates the standard deviation of normal data
# The weekday pattern may change, but slowly: over about 15 weeks (STL's seasonal smoother
# in cycles; STL's own default of 7 lets it soak up noise, and the limits get too tight).
SEASONAL_SMOOTHER = 15
MIN_DAYS = 28
CUSUM_CLIP = 2.0  # four weeks: fewer cannot separate a weekday pattern from a surge


@dataclass(frozen=True)
class Monitoring:
    """The result of ``surge_alerts``.

    alerts: one row per alert, latest first: the group columns, ``day``, ``metric``,
        ``kind`` ("spike" or "drift"), ``observed``, ``expected``, ``z`` (how unusual, in
        robust standard deviations; for a drift the CUSUM value), ``since`` (first day of
        the run of unusual days). Empty (with these columns) on a quiet day.
    series: every day of every group: ``observed``, ``expected``, ``upper`` (the value that
        would have been a spike), ``z``, ``cusum`` — for the chart.
    """

    alerts: pd.DataFrame
    series: pd.DataFrame


def daily_counts(
    table: pd.DataFrame, at: str, as_of, by=None, start=None, period: str = "D"
) -> pd.DataFrame:
    """Rows per calendar day (UTC) and group, zero-filled from ``start`` (default: the first
    day in the table) to the day of ``as_of``; rows after ``as_of`` are not yet known.
    period="W" counts ISO weeks instead (Monday to Sunday; monitor them with season=1: a
    few years hold too few cycles to learn a week-of-year pattern).
    Returns the group columns, ``day`` (the period's first day) and ``count``."""
    keys = group_columns(table, by)
    moments, days = _days(table, at, as_of, start, period)
    frame = table.loc[moments.index, keys].assign(day=_period_start(moments, period))
    counts = frame.groupby([*keys, "day"], sort=True, dropna=False, observed=True).size()
    return _filled(counts.rename("count").reset_index(), keys, days, {"count": 0})


def daily_shares(
    table: pd.DataFrame, at: str, flag: str, as_of, by=None, start=None, period: str = "D"
) -> pd.DataFrame:
    """Per calendar day (or ISO week, period="W") and group: ``n`` rows, ``hits`` (rows where
    the boolean column ``flag`` is True; empty flags are not counted in n) and ``share`` =
    hits / n."""
    keys = group_columns(table, by)
    if flag not in table.columns:
        raise ParameterError(f"flag={flag!r} is not a column of the table.")
    moments, days = _days(table, at, as_of, start, period)
    flags = table.loc[moments.index, flag]
    frame = table.loc[moments.index, keys].assign(
        day=_period_start(moments, period),
        n=flags.notna().astype(int),
        hits=flags.fillna(False).astype(int),
    )
    sums = frame.groupby([*keys, "day"], sort=True, dropna=False, observed=True)[
        ["n", "hits"]
    ].sum()
    out = _filled(sums.reset_index(), keys, days, {"n": 0, "hits": 0})
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share"] = np.where(out["n"] > 0, out["hits"] / out["n"], np.nan)
    return out


def surge_alerts(
    series: pd.DataFrame,
    metric: str,
    by=None,
    value: str = "count",
    n: str | None = None,
    threshold: float = 4.0,
    cusum_k: float = 0.5,
    cusum_h: float = 8.0,
    trend_days: int = 91,
    season: int = 7,
    guard_days: int = 28,
    recent_days: int | None = None,
) -> Monitoring:
    """Alerts for each group's daily ``value`` in a frame from ``daily_counts`` (a count) or
    ``daily_shares`` (``value="share"`` with ``n="n"``, the answers behind each share).

    metric: the name shown in the alerts ("complaints", "detractor share").
    season: rows in one seasonal cycle: 7 for days; 1 for weekly sums (no pattern, a robust
        trend only: a few years hold too few cycles to learn a week-of-year pattern).
    trend_days: the trend's window (odd; longer follows the season but not a surge).
    guard_days: the last rows judged against the time before them rather than fitted (see
        ``_fit``). recent_days: only report alerts from the last so many rows (the
        monitoring report's window); None reports all. These three count rows: days, or
        weeks for weekly sums.
    """
    keys = group_columns(series, by)
    _check(series, value, n, threshold, cusum_k, cusum_h, trend_days, season)
    if not isinstance(guard_days, int) or guard_days < 0:
        raise ParameterError(f"guard_days={guard_days!r} must be a whole number >= 0.")
    parts = []
    groups = series.groupby(keys, sort=True, dropna=False) if keys else [((), series)]
    for _, part in groups:
        part = part.sort_values("day").reset_index(drop=True)
        weights = part[n].to_numpy(float) if n else None
        fitted = _fit(
            part[value].to_numpy(float), weights, season, trend_days, threshold, guard_days
        )
        fitted["cusum"] = _cusum(fitted["z"].to_numpy(), cusum_k, threshold)
        parts.append(pd.concat([part[[*keys, "day"]], fitted], axis=1))
    out = pd.concat(parts, ignore_index=True)
    alerts = _alerts(out, keys, metric, threshold, cusum_h)
    if recent_days is not None and len(out):
        rows = np.sort(out["day"].unique())  # the last recent_days rows: days, or weeks
        alerts = alerts[alerts["day"] >= rows[max(0, len(rows) - recent_days)]]
    return Monitoring(alerts.reset_index(drop=True), out)


def _fit(values, n, season: int, trend_days: int, threshold: float, guard_days: int):
    """Expected values and robust z-scores of one series.

    STL is fitted on all but the last ``guard_days`` rows; over those the expectation is
    the last trend level with the last cycle's weekday pattern. A surge or drift of the last
    weeks is thus judged against the time before it, never absorbed into its own baseline.
    """
    fitted_rows = len(values) - guard_days
    if fitted_rows < max(MIN_DAYS, 2 * season):
        raise ParameterError(
            f"a series of {len(values)} rows is too short to monitor: give at least "
            f"{max(MIN_DAYS, 2 * season) + guard_days} (two seasonal cycles and four weeks "
            f"before the last guard_days={guard_days})."
        )
    known = ~np.isnan(values)
    if n is None:
        typical = np.nanmedian(values)
    else:  # the pooled share: days of one or two answers must not set the typical level
        typical = np.nansum(values * n) / max(np.nansum(np.where(known, n, 0)), 1)
    filled = np.where(known, values, typical)
    scaled = 2 * np.sqrt(filled + 0.375) if n is None else filled
    trend = trend_days if trend_days % 2 else trend_days + 1
    level, pattern = _decomposed(scaled[:fitted_rows], season, trend)
    ahead = np.arange(guard_days)
    last_cycle = pattern[-season:]
    expected_scaled = np.concatenate([level + pattern, level[-1] + last_cycle[ahead % season]])
    if n is None:
        expected = np.maximum((expected_scaled / 2) ** 2 - 0.375, 0)
        raw = scaled - expected_scaled
    else:
        expected = np.clip(expected_scaled, 0, 1)
        raw = (filled - expected) / _binomial_se(typical, n)
    raw = np.where(known, raw, np.nan)
    history = raw[:fitted_rows]
    centre = np.nanmedian(history)
    scale = MAD_TO_SD * np.nanmedian(np.abs(history - centre))
    scale = max(scale, 1.0)  # never tighter than Poisson / binomial noise (1 on these scales)
    z = (raw - centre) / scale
    limit = centre + threshold * scale
    if n is None:
        upper = np.maximum((expected_scaled + limit) ** 2 / 4 - 0.375, 0)
    else:
        upper = np.clip(expected + limit * _binomial_se(typical, n), 0, 1)
    return pd.DataFrame({"observed": values, "expected": expected, "upper": upper, "z": z})


def _decomposed(values: np.ndarray, season: int, trend: int):
    """Robust trend and seasonal pattern: STL, or for season=1 (no pattern) a robust LOWESS
    trend over ``trend`` rows."""
    if season == 1:
        share = min(1.0, trend / len(values))
        level = lowess(values, np.arange(len(values)), frac=share, it=3, return_sorted=False)
        return level, np.zeros(len(values))
    result = STL(values, period=season, seasonal=SEASONAL_SMOOTHER, trend=trend, robust=True).fit()
    return result.trend, result.seasonal


def _binomial_se(share, n: np.ndarray) -> np.ndarray:
    """The standard error of a day's share of ``n`` answers around the typical ``share``
    (the pooled one: a local expectation near 0 would make one answer look like a surge)."""
    return np.sqrt(np.clip(share * (1 - share), 1e-6, None) / np.maximum(n, 1))


def _cusum(z: np.ndarray, k: float, threshold: float) -> np.ndarray:
    """One-sided upper CUSUM: S_t = max(0, S_(t-1) + min(z_t, CUSUM_CLIP) - k). Missing days
    and spike days (z above ``threshold``, already alerts of their own) add nothing, and
    clipping (a Huber-type CUSUM) keeps a single odd day from ringing as a drift for the
    weeks the sum would take to fall back."""
    steps = np.minimum(np.nan_to_num(z, nan=k), CUSUM_CLIP)
    steps = np.where(np.nan_to_num(z) > threshold, k, steps)
    out = np.zeros(len(z))
    level = 0.0
    for i, value in enumerate(steps):
        level = max(0.0, level + value - k)
        out[i] = level
    return out


def _alerts(out: pd.DataFrame, keys, metric: str, threshold: float, cusum_h: float) -> pd.DataFrame:
    rows = []
    groups = out.groupby(keys, sort=False, dropna=False) if keys else [((), out)]
    for _, part in groups:
        part = part.reset_index(drop=True)
        spike = (part["z"] > threshold).to_numpy()
        drift = (part["cusum"] > cusum_h).to_numpy()
        for kind, flagged, since in (
            ("spike", spike, _run_starts(spike)),
            ("drift", drift & ~spike, _excursion_starts(part["cusum"].to_numpy())),
        ):
            for i in np.flatnonzero(flagged):
                row = {k: part.at[i, k] for k in keys}
                rows.append(
                    {
                        **row,
                        "day": part.at[i, "day"],
                        "metric": metric,
                        "kind": kind,
                        "observed": part.at[i, "observed"],
                        "expected": part.at[i, "expected"],
                        "z": part.at[i, "z"] if kind == "spike" else part.at[i, "cusum"],
                        "since": part.at[since[i], "day"],
                    }
                )
    columns = [*keys, "day", "metric", "kind", "observed", "expected", "z", "since"]
    alerts = pd.DataFrame(rows, columns=columns)
    if not rows:  # a quiet day: the same columns and types, no rows
        alerts = alerts.astype(
            {
                "day": out["day"].dtype,
                "since": out["day"].dtype,
                "observed": float,
                "expected": float,
                "z": float,
            }
        )
    return alerts.sort_values(["day", "z"], ascending=[False, False], kind="stable")


def _run_starts(flagged: np.ndarray) -> np.ndarray:
    """For each position, where the current run of True values began."""
    starts = np.zeros(len(flagged), dtype=int)
    for i in range(len(flagged)):
        starts[i] = starts[i - 1] if i and flagged[i] and flagged[i - 1] else i
    return starts


def _excursion_starts(cusum: np.ndarray) -> np.ndarray:
    """For each position, the first day of the current CUSUM excursion above zero."""
    starts = np.zeros(len(cusum), dtype=int)
    for i in range(len(cusum)):
        starts[i] = starts[i - 1] if i and cusum[i - 1] > 0 else i
    return starts


def _period_start(moments: pd.Series, period: str) -> pd.Series:
    """The first day of the day ("D") or ISO week ("W", from Monday) of each moment."""
    days = moments.dt.floor("D")
    if period == "W":
        return days - pd.to_timedelta(days.dt.day_of_week, unit="D")
    return days


def _days(table, at, as_of, start, period: str = "D"):
    if period not in ("D", "W"):
        raise ParameterError(f"period={period!r}: use 'D' (days) or 'W' (ISO weeks).")
    if at not in table.columns:
        raise ParameterError(f"at={at!r} is not a column of the table.")
    as_of = resolve_as_of(as_of)
    moments = pd.to_datetime(table[at], utc=True)
    moments = moments[moments <= as_of]
    first = resolve_as_of(start).floor("D") if start is not None else moments.min().floor("D")
    if pd.isna(first):
        raise ParameterError(f"no rows at or before as_of={as_of:%Y-%m-%d}: nothing to monitor.")
    moments = moments[moments >= first]
    first = _period_start(pd.Series([first]), period).iloc[0]
    last = _period_start(pd.Series([as_of]), period).iloc[0]
    return moments, pd.date_range(first, last, freq="7D" if period == "W" else "D")


def _filled(frame: pd.DataFrame, keys: list[str], days, zeros: dict) -> pd.DataFrame:
    """Every (group, day) combination, with ``zeros`` where nothing happened."""
    if keys:
        groups = frame[keys].drop_duplicates()
        grid = groups.merge(pd.DataFrame({"day": days}), how="cross")
    else:
        grid = pd.DataFrame({"day": days})
    out = grid.merge(frame, on=[*keys, "day"], how="left").fillna(zeros)
    return out.astype(dict.fromkeys(zeros, "int64"))


def _check(series, value, n, threshold, cusum_k, cusum_h, trend_days, season) -> None:
    for column in ("day", value, *([n] if n else [])):
        if column not in series.columns:
            raise ParameterError(
                f"the series lacks column {column!r}; build it with daily_counts or daily_shares."
            )
    for name, number in (("threshold", threshold), ("cusum_k", cusum_k), ("cusum_h", cusum_h)):
        if isinstance(number, bool) or not isinstance(number, int | float) or number <= 0:
            raise ParameterError(f"{name}={number!r} must be a number > 0.")
    if not isinstance(season, int) or season < 1:
        raise ParameterError(
            f"season={season!r}: rows in one cycle (7 for days; 1 for weeks: no pattern)."
        )
    if not isinstance(trend_days, int) or trend_days <= season:
        raise ParameterError(f"trend_days={trend_days!r} must be a whole number > season.")
