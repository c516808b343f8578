"""Checked inputs of the voice analyses: score columns, grouping columns, calendar periods.

Scores arrive as a survey table (or a bare Series). Values outside the scale or not whole
numbers are a DataContractError naming the column, the rule, how many rows and examples;
empty answers are not errors (CSAT is optional) but are counted in the result's
``unanswered`` column, so nothing is dropped silently.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataContractError, ParameterError

# Calendar buckets of a trend: pandas period aliases and their names.
PERIODS = {"D": "day", "W": "week", "M": "month", "Q": "quarter"}
MAX_EXAMPLES = 5


def as_frame(scores, score: str) -> pd.DataFrame:
    """A DataFrame holding ``score``: a Series becomes a one-column frame named ``score``."""
    if isinstance(scores, pd.Series):
        return scores.rename(score).to_frame()
    if not isinstance(scores, pd.DataFrame):
        raise ParameterError(
            f"scores is a {type(scores).__name__}: give the survey table (a DataFrame with a "
            f"{score!r} column) or a Series of scores."
        )
    if score not in scores.columns:
        raise ParameterError(
            f"score={score!r} is not a column of the table; its columns are "
            f"{[str(c) for c in scores.columns]}."
        )
    return scores


def group_columns(frame: pd.DataFrame, by) -> list[str]:
    """``by`` (None, one column name or a list of them) as a checked list."""
    if by is None:
        return []
    names = [by] if isinstance(by, str) else list(by)
    absent = [n for n in names if n not in frame.columns]
    if absent:
        raise ParameterError(
            f"by={by!r} names {absent}, which the table lacks; its columns are "
            f"{[str(c) for c in frame.columns]}."
        )
    return names


def checked_scores(frame: pd.DataFrame, score: str, low: int, high: int) -> pd.Series:
    """The ``score`` column as floats (NaN = no answer), after checking every answer is a
    whole number in ``low..high``."""
    raw = frame[score]
    values = pd.to_numeric(raw, errors="coerce").astype(float)
    unreadable = values.isna() & raw.notna()
    outside = values.notna() & ((values < low) | (values > high) | (values % 1 != 0))
    bad = unreadable | outside
    if bad.any():
        examples = ", ".join(repr(v) for v in raw[bad].head(MAX_EXAMPLES).tolist())
        raise DataContractError(
            f"column {score!r}: {int(bad.sum()):,} answer(s) are not whole numbers in "
            f"{low}..{high} (e.g. {examples}). Fix or remove them before scoring."
        )
    return values


def period_column(frame: pd.DataFrame, at: str, period: str) -> pd.Series:
    """The calendar ``period`` ("D", "W" ISO week from Monday, "M", "Q") each ``at`` falls in,
    as the period's first day (a UTC timestamp)."""
    if period not in PERIODS:
        raise ParameterError(
            f"period={period!r}: use 'D' (day), 'W' (ISO week), 'M' (month) or 'Q' (quarter)."
        )
    if at not in frame.columns:
        raise ParameterError(
            f"at={at!r} is not a column of the table; its columns are "
            f"{[str(c) for c in frame.columns]}."
        )
    moments = pd.to_datetime(frame[at], utc=True)
    naive = moments.dt.tz_localize(None)
    starts = naive.dt.to_period(period).dt.start_time
    return starts.dt.tz_localize("UTC").rename(PERIODS[period])


def counts_by(frame: pd.DataFrame, keys: list[str], columns: dict[str, pd.Series]):
    """Sums of the given 0/1 (or numeric) series per group of ``keys``: one row per group."""
    data = pd.DataFrame({name: np.asarray(s, float) for name, s in columns.items()})
    for k in keys:
        data[k] = frame[k].to_numpy()
    if not keys:
        return data.sum().to_frame().T
    return data.groupby(keys, sort=True, dropna=False, observed=True).sum().reset_index()
