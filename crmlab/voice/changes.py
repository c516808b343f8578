"""Scores over time and between groups: a trend by calendar period with small periods
suppressed, the change from one period to the next, and groups against a reference, with
p-values corrected for the number of comparisons (``experiment.adjust_pvalues``).

Differences: NPS in points with the multinomial variance of each side (a z-test); CSAT as
a difference of shares (the pooled two-proportion z-test, ``experiment.proportion_test``);
means by Welch's t-test (``experiment.welch_test``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..data.validate import resolve_as_of
from ..errors import ParameterError
from ..experiment.tests import adjust_pvalues, proportion_test, welch_test
from ..intervals import check_alpha, z_value
from .inputs import PERIODS, as_frame, group_columns, period_column
from .scores import csat, mean_score, nps

METRICS = ("nps", "csat", "mean")


def score_column(metric: str, score: str | None = None) -> str:
    """The column a metric reads: ``score`` when given, else "nps" or "csat"; "mean" has no
    default and needs ``score``."""
    if metric not in METRICS:
        raise ParameterError(f"metric={metric!r}: use one of {', '.join(METRICS)}.")
    if score is not None:
        return score
    if metric == "mean":
        raise ParameterError("metric='mean' needs score=: the column to average.")
    return metric


def score_table(
    scores, metric: str, by=None, alpha: float = 0.05, score: str | None = None, **options
) -> pd.DataFrame:
    """The table of ``nps``, ``csat`` or ``mean_score`` for ``metric``, with the score in a
    column named after the metric ("nps", "csat", "mean")."""
    column = score_column(metric, score)
    if metric == "nps":
        return nps(scores, alpha=alpha, by=by, score=column, **options)
    if metric == "csat":
        return csat(scores, alpha=alpha, by=by, score=column, **options)
    return mean_score(scores, column, alpha=alpha, by=by, **options)


def trend(
    scores,
    metric: str = "nps",
    period: str = "M",
    by=None,
    at: str = "answered_at",
    alpha: float = 0.05,
    min_n: int = 30,
    score: str | None = None,
    **options,
) -> pd.DataFrame:
    """The score per calendar ``period`` ("D", "W", "M", "Q"; a column named day, week,
    month or quarter holding the period's first day), per group of ``by``.

    Periods with fewer than ``min_n`` answers keep their counts but show no score or
    interval (``suppressed`` is True): a score from a handful of answers is noise that
    people read as news. ``options`` go to the metric (``method=`` for NPS, ``scale=``...).
    """
    if not isinstance(min_n, int | np.integer) or min_n < 1:
        raise ParameterError(f"min_n={min_n!r} must be a whole number of answers >= 1.")
    frame = as_frame(scores, score_column(metric, score))
    keys = group_columns(frame, by)
    starts = period_column(frame, at, period)  # checks period first
    frame = frame.assign(**{PERIODS[period]: starts})
    table = score_table(frame, metric, [PERIODS[period], *keys], alpha, score, **options)
    small = table["n"] < min_n
    table.loc[small, [metric, "ci_low", "ci_high"]] = np.nan
    return table.assign(suppressed=small.to_numpy())


def compare(
    scores,
    by: str,
    metric: str = "nps",
    reference=None,
    alpha: float = 0.05,
    correction: str | None = "holm",
    score: str | None = None,
    **options,
) -> pd.DataFrame:
    """Each group of column ``by`` against a ``reference`` group (default: the largest).

    Returns one row per other group: ``n``, the score (``value``), the reference's
    (``reference_n``, ``reference_value``), ``difference`` (group minus reference; points
    for NPS, a fraction for CSAT), its interval, ``p_value`` and ``p_adjusted`` by
    ``correction`` ("holm", "bh" or None) across the rows, and ``significant``.
    """
    if not isinstance(by, str):
        raise ParameterError(f"by={by!r}: compare groups of one column (give its name).")
    table = score_table(scores, metric, by, alpha, score, **options)
    table = table[table["n"] > 0]
    if reference is None:
        reference = table.sort_values("n", ascending=False, kind="stable")[by].iloc[0]
    if reference not in set(table[by]):
        raise ParameterError(
            f"reference={reference!r} is not a group of {by!r} with answers; groups: "
            f"{sorted(map(str, table[by]))}."
        )
    base = table[table[by] == reference]
    others = table[table[by] != reference].reset_index(drop=True)
    repeated = base.loc[base.index.repeat(len(others))].reset_index(drop=True)
    tests = differences(repeated, others, metric, alpha)
    out = pd.DataFrame(
        {
            by: others[by],
            "reference": reference,
            "n": others["n"],
            "value": others[metric],
            "reference_n": repeated["n"],
            "reference_value": repeated[metric],
        }
    )
    return _with_adjusted(pd.concat([out, tests], axis=1), correction, alpha)


def period_change(
    scores,
    as_of,
    metric: str = "nps",
    period: str = "M",
    by=None,
    at: str = "answered_at",
    alpha: float = 0.05,
    correction: str | None = "holm",
    score: str | None = None,
    **options,
) -> pd.DataFrame:
    """The period holding ``as_of`` (answers up to ``as_of``) against the period before it,
    overall or per group of ``by``, with p-values corrected across the groups.

    Returns one row per group: ``before`` and ``after`` (the periods' first days), ``n_*``
    and ``value_*`` for both, ``difference`` (after minus before), its interval,
    ``p_value``, ``p_adjusted``, ``significant``.
    """
    as_of = resolve_as_of(as_of)
    frame = as_frame(scores, score_column(metric, score))
    keys = group_columns(frame, by)
    frame = frame[pd.to_datetime(frame[at], utc=True) <= as_of]
    starts = period_column(frame, at, period)
    after = period_column(pd.DataFrame({at: [as_of]}), at, period).iloc[0]
    before = period_column(pd.DataFrame({at: [after - pd.Timedelta(days=1)]}), at, period).iloc[0]
    label = "_period"
    frame = frame.assign(**{label: starts})
    sides = []
    for start in (before, after):
        part = frame[frame[label] == start]
        sides.append(score_table(part, metric, keys or None, alpha, score, **options))
    if keys:
        merged = sides[0].merge(sides[1], on=keys, how="outer", suffixes=("_b", "_a"))
        first = _side(merged, "_b", metric)
        second = _side(merged, "_a", metric)
    else:
        first, second, merged = sides[0], sides[1], pd.DataFrame(index=[0])
    out = merged[keys].copy() if keys else pd.DataFrame(index=[0])
    out = out.assign(
        before=before,
        after=after,
        n_before=first["n"].fillna(0).astype("int64").to_numpy(),
        n_after=second["n"].fillna(0).astype("int64").to_numpy(),
        value_before=first[metric].to_numpy(),
        value_after=second[metric].to_numpy(),
    )
    tests = differences(first.fillna({"n": 0}), second.fillna({"n": 0}), metric, alpha)
    return _with_adjusted(pd.concat([out.reset_index(drop=True), tests], axis=1), correction, alpha)


def differences(first: pd.DataFrame, second: pd.DataFrame, metric: str, alpha: float):
    """Row by row, ``second`` minus ``first`` (two score tables of the same metric, aligned):
    ``difference``, ``ci_low``, ``ci_high``, ``p_value`` (NaN where a side has no answers)."""
    check_alpha(alpha)
    rows = []
    for (_, a), (_, b) in zip(first.iterrows(), second.iterrows(), strict=True):
        rows.append(_difference(a, b, metric, alpha))
    columns = ["difference", "ci_low", "ci_high", "p_value"]
    return pd.DataFrame(rows, columns=columns, dtype=float)


def _difference(a: pd.Series, b: pd.Series, metric: str, alpha: float) -> tuple:
    minimum = 2 if metric == "mean" else 1
    if not (a["n"] >= minimum and b["n"] >= minimum):
        return (np.nan,) * 4
    if metric == "csat":
        t = proportion_test(a["satisfied"], a["n"], b["satisfied"], b["n"], alpha)
        return t.difference, t.ci_low, t.ci_high, t.p_value
    if metric == "mean":
        if a["sd"] == 0 and b["sd"] == 0:
            return b["mean"] - a["mean"], np.nan, np.nan, np.nan
        t = welch_test(a["n"], a["mean"], a["sd"] ** 2, b["n"], b["mean"], b["sd"] ** 2, alpha)
        return t.difference, t.ci_low, t.ci_high, t.p_value
    variance = _nps_variance(a) + _nps_variance(b)  # points squared
    difference = b["nps"] - a["nps"]
    se = np.sqrt(variance)
    if se == 0:
        return difference, difference, difference, 1.0 if difference == 0 else 0.0
    half = z_value(alpha) * se
    p_value = 2 * stats.norm.sf(abs(difference) / se)
    return difference, difference - half, difference + half, p_value


def _nps_variance(row: pd.Series) -> float:
    """Var of one group's NPS in points^2: 100^2 [p + d - (p - d)^2] / n."""
    p, d = row["promoters"] / row["n"], row["detractors"] / row["n"]
    return 1e4 * (p + d - (p - d) ** 2) / row["n"]


def _with_adjusted(table: pd.DataFrame, correction, alpha: float) -> pd.DataFrame:
    tested = table["p_value"].notna().to_numpy()
    adjusted = np.full(len(table), np.nan)
    significant = np.zeros(len(table), bool)
    if tested.any():
        adjusted[tested], significant[tested] = adjust_pvalues(
            table.loc[tested, "p_value"], correction, alpha
        )
    return table.assign(p_adjusted=adjusted, significant=significant)


def _side(merged: pd.DataFrame, suffix: str, metric: str) -> pd.DataFrame:
    """One side's score columns of a merged before/after table, suffix removed."""
    columns = [c for c in merged.columns if c.endswith(suffix)]
    return merged[columns].rename(columns=lambda c: c[: -len(suffix)]).reset_index(drop=True)
