"""RFM: recency, frequency and monetary scores, codes, and named segments.

Scores are rank-based quantiles: each customer's percentile rank (ties share their average
rank, so equal values always get equal scores) is cut into ``bins`` equal slices, 1 = worst,
``bins`` = best. Recency is days since the last order (fewer is better), frequency the
number of completed orders, monetary what the customer paid net of refunds (by default).

Named segments use R and FM = the mean of F and M, both rescaled to 1..5, and the grid
below (``DEFAULT_SEGMENTS``; pass ``segments=`` to override). Rules are tried in order; the
first that matches names the customer, and every (R, FM) cell must be covered.

| R \\ FM | 1 | 2 | 3 | 4 | 5 |
|---|---|---|---|---|---|
| 5 | New | Potential loyalist | Potential loyalist | Champions | Champions |
| 4 | Promising | Potential loyalist | Potential loyalist | Loyal | Loyal |
| 3 | About to sleep | About to sleep | Need attention | Loyal | Loyal |
| 2 | Hibernating | Hibernating | At risk | At risk | Can't lose them |
| 1 | Lost | Lost | At risk | At risk | Can't lose them |
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ._summary import money, summary_at

# (segment, R low, R high, FM low, FM high), inclusive, on the 1..5 scale.
DEFAULT_SEGMENTS: tuple[tuple[str, int, int, int, int], ...] = (
    ("Champions", 5, 5, 4, 5),
    ("Loyal", 3, 4, 4, 5),
    ("Potential loyalist", 4, 5, 2, 3),
    ("New", 5, 5, 1, 1),
    ("Promising", 4, 4, 1, 1),
    ("Need attention", 3, 3, 3, 3),
    ("About to sleep", 3, 3, 1, 2),
    ("At risk", 1, 2, 3, 4),
    ("Can't lose them", 1, 2, 5, 5),
    ("Hibernating", 2, 2, 1, 2),
    ("Lost", 1, 1, 1, 2),
)
SEGMENT_ORDER = tuple(s[0] for s in DEFAULT_SEGMENTS)


def quantile_scores(values: pd.Series, bins: int) -> pd.Series:
    """Scores 1..bins from percentile ranks; ties get equal scores; higher value, higher score."""
    pct = values.rank(method="average", pct=True)
    return np.ceil(pct * bins).clip(1, bins).astype(int)


_SCORE_MEANING = {
    "r_score": ("R", "recency_days", "days since the last order"),
    "f_score": ("F", "n_orders", "number of orders"),
    "m_score": ("M", "revenue", "revenue"),
}


def empty_score_notes(scores: pd.DataFrame, bins: int = 5) -> list[str]:
    """Sentences for the score levels no customer got because ties share one score (e.g. no
    F score 1 when most customers bought once: they all tie at the same percentile rank).
    scores: the table ``rfm`` returns. Empty list when every level of R, F and M is used."""
    notes = []
    for column, (letter, source, meaning) in _SCORE_MEANING.items():
        missing = sorted(set(range(1, bins + 1)) - set(scores[column].unique()))
        if not missing or source not in scores:
            continue
        counts = scores[source].value_counts()
        tied, share = counts.index[0], counts.iloc[0] / len(scores)
        score = int(scores.loc[scores[source] == tied, column].iloc[0])
        levels = " or ".join(str(m) for m in missing)
        notes.append(
            f"No customer has {letter} score {levels}: {share:.0%} share the same {meaning} "
            f"({tied:,.6g}), and tied customers get one score ({score})."
        )
    return notes


def _to_five(score: pd.Series, bins: int) -> pd.Series:
    return np.ceil(score * 5 / bins).clip(1, 5).astype(int)


def _check_segments(segments) -> list[tuple[str, int, int, int, int]]:
    rules = [tuple(r) for r in segments]
    covered = {
        (r, fm)
        for r in range(1, 6)
        for fm in range(1, 6)
        if any(lo <= r <= hi and flo <= fm <= fhi for _, lo, hi, flo, fhi in rules)
    }
    missing = sorted({(r, fm) for r in range(1, 6) for fm in range(1, 6)} - covered)
    if missing:
        raise ParameterError(
            f"segments leave (R, FM) cells without a name: {missing[:8]}; every cell of the "
            "5x5 grid needs a rule (segment, r_low, r_high, fm_low, fm_high)."
        )
    return rules


def rfm(
    orders_or_summary,
    as_of=None,
    bins: int = 5,
    segments=DEFAULT_SEGMENTS,
    monetary: Literal["net", "gross"] = "net",
) -> pd.DataFrame:
    """RFM scores and segments per customer.

    orders_or_summary: contract orders (DataFrame or CRMData), or a ``CustomerSummary``.
    as_of: the date the segmentation describes (required with orders).
    bins: number of score levels, 2..9 (codes like "545" need one digit per score).
    segments: rules (segment, r_low, r_high, fm_low, fm_high) on the 1..5 scale.
    monetary: "net" (default): what the customer paid after refunds (``net_revenue``, never
        below 0), so a customer whose orders were all cancelled scores lowest; "gross": the
        value of purchases before refunds that do not name their order (``revenue``).

    Returns one row per customer (index customer_id): recency_days, n_orders, revenue (as
    chosen by ``monetary``), r_score, f_score, m_score, fm_score (1..5), rfm_code and segment
    (ordered categorical).
    """
    if not isinstance(bins, int | np.integer) or not 2 <= bins <= 9:
        raise ParameterError(f"bins={bins!r}: use an integer from 2 to 9.")
    rules = _check_segments(segments)
    if monetary not in ("net", "gross"):
        raise ParameterError(f"monetary={monetary!r}: use 'net' (after refunds) or 'gross'.")
    summary = summary_at(orders_or_summary, as_of)
    summary.require(["days_since_last_order", "n_orders"], "RFM")
    out = pd.DataFrame(index=summary.customers)
    out["recency_days"] = summary.table["days_since_last_order"]
    out["n_orders"] = summary.table["n_orders"]
    out["revenue"] = money(summary, monetary)
    out["r_score"] = quantile_scores(-out["recency_days"], bins)
    out["f_score"] = quantile_scores(out["n_orders"], bins)
    out["m_score"] = quantile_scores(out["revenue"], bins)
    out["rfm_code"] = (
        out["r_score"].astype(str) + out["f_score"].astype(str) + out["m_score"].astype(str)
    )
    r5 = _to_five(out["r_score"], bins)
    fm5 = _to_five(np.ceil((out["f_score"] + out["m_score"]) / 2), bins)
    out["fm_score"] = fm5
    segment = pd.Series(pd.NA, index=out.index, dtype="object")
    for name, lo, hi, flo, fhi in reversed(rules):  # reversed: earlier rules win
        segment[(r5 >= lo) & (r5 <= hi) & (fm5 >= flo) & (fm5 <= fhi)] = name
    order = list(dict.fromkeys(r[0] for r in rules))
    out["segment"] = pd.Categorical(segment, categories=order, ordered=True)
    return out
