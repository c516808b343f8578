"""Satisfaction scores with honest uncertainty: NPS, CSAT and mean scores per group.

NPS (Net Promoter Score) is asked on a 0..10 "how likely are you to recommend us" scale.
Promoters answer 9-10, detractors 0-6, passives 7-8, and NPS = 100 x (promoter share -
detractor share), in points from -100 to 100. Its variance is the multinomial one,
Var(NPS) = [p(1 - p) + d(1 - d) + 2pd] / n = [p + d - (p - d)^2] / n (p, d the promoter
and detractor shares). Rocks (2016, "Interval estimation for the 'net promoter score'",
The American Statistician 70:4) compared intervals by coverage; the adjusted Wald interval
(add 3 answers: n + 3, promoters + 3/4, detractors + 3/4, then the Wald formula) came
closest to nominal and is the default. The reported NPS is always the plain one.

CSAT is the share of satisfied answers (4-5 on a 1..5 scale), a fraction with a Wilson
score interval; a mean score has a t interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from ..errors import ParameterError
from ..intervals import check_alpha, z_value
from .inputs import as_frame, checked_scores, counts_by, group_columns

NPS_METHODS = ("wald", "adjusted_wald")
PROMOTER_FROM, DETRACTOR_UP_TO = 9, 6  # promoters answer 9-10, detractors 0-6


def nps_interval(promoters, detractors, n, alpha: float = 0.05, method: str = "adjusted_wald"):
    """NPS and its confidence interval, in points (-100..100), from counts.

    promoters, detractors, n: counts (numbers or arrays). method: "wald" (the multinomial
    variance at the observed shares) or "adjusted_wald" (Rocks 2016: n + 3, promoters and
    detractors + 3/4 each). Returns (nps, ci_low, ci_high) as float arrays; NaN where n = 0.
    """
    check_alpha(alpha)
    if method not in NPS_METHODS:
        raise ParameterError(f"method={method!r}: use 'wald' or 'adjusted_wald' (Rocks 2016).")
    promoters, detractors, n = (np.asarray(v, float) for v in (promoters, detractors, n))
    added, share = (3.0, 0.75) if method == "adjusted_wald" else (0.0, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(n > 0, (promoters - detractors) / n, np.nan)
        p = (promoters + share) / (n + added)
        d = (detractors + share) / (n + added)
        centre = p - d
        se = np.sqrt((p + d - centre**2) / (n + added))
    half = z_value(alpha) * se
    low = np.where(n > 0, np.clip(centre - half, -1, 1), np.nan)
    high = np.where(n > 0, np.clip(centre + half, -1, 1), np.nan)
    return 100 * score, 100 * low, 100 * high


def nps(
    scores,
    alpha: float = 0.05,
    method: str = "adjusted_wald",
    by=None,
    score: str = "nps",
) -> pd.DataFrame:
    """Net Promoter Score with its interval, overall or per group.

    scores: the survey table (with a ``score`` column of 0..10 answers) or a Series of them.
    by: a column name or list of them to score each group separately.
    Returns one row (per group): ``n`` answers, ``promoters``, ``passives``, ``detractors``
    (counts), ``nps`` and ``ci_low``/``ci_high`` in points (-100..100), ``unanswered``
    (empty answers, not counted in n).
    """
    frame = as_frame(scores, score)
    keys = group_columns(frame, by)
    values = checked_scores(frame, score, 0, 10)
    table = counts_by(
        frame,
        keys,
        {
            "n": values.notna(),
            "promoters": values >= PROMOTER_FROM,
            "passives": (values > DETRACTOR_UP_TO) & (values < PROMOTER_FROM),
            "detractors": values <= DETRACTOR_UP_TO,
            "unanswered": values.isna(),
        },
    )
    value, low, high = nps_interval(
        table["promoters"], table["detractors"], table["n"], alpha, method
    )
    table = _whole_counts(table, ["n", "promoters", "passives", "detractors", "unanswered"])
    table = table.assign(nps=value, ci_low=low, ci_high=high)
    return table[
        [
            *keys,
            "n",
            "promoters",
            "passives",
            "detractors",
            "nps",
            "ci_low",
            "ci_high",
            "unanswered",
        ]
    ]


def csat(
    scores,
    alpha: float = 0.05,
    by=None,
    score: str = "csat",
    satisfied_from: int = 4,
    scale: tuple[int, int] = (1, 5),
) -> pd.DataFrame:
    """CSAT: the share of satisfied answers (``satisfied_from`` or more on ``scale``), with a
    Wilson score interval.

    Returns one row (per group of ``by``): ``n``, ``satisfied`` (count), ``csat`` and
    ``ci_low``/``ci_high`` as fractions (0.82 = 82%), ``unanswered``.
    """
    check_alpha(alpha)
    low, high = _scale(scale)
    if not low <= satisfied_from <= high:
        raise ParameterError(f"satisfied_from={satisfied_from!r} must lie on the scale {scale}.")
    frame = as_frame(scores, score)
    keys = group_columns(frame, by)
    values = checked_scores(frame, score, low, high)
    table = counts_by(
        frame,
        keys,
        {"n": values.notna(), "satisfied": values >= satisfied_from, "unanswered": values.isna()},
    )
    n, satisfied = table["n"].to_numpy(), table["satisfied"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n > 0, satisfied / np.maximum(n, 1), np.nan)
    ci_low, ci_high = proportion_confint(satisfied, np.maximum(n, 1), alpha, method="wilson")
    table = _whole_counts(table, ["n", "satisfied", "unanswered"])
    table = table.assign(
        csat=share,
        ci_low=np.where(n > 0, ci_low, np.nan),
        ci_high=np.where(n > 0, ci_high, np.nan),
    )
    return table[[*keys, "n", "satisfied", "csat", "ci_low", "ci_high", "unanswered"]]


def mean_score(
    scores, score: str, alpha: float = 0.05, by=None, scale: tuple[int, int] | None = None
) -> pd.DataFrame:
    """Mean of a score column with a t interval (e.g. the mean CSAT on 1..5).

    scale: (low, high) to check every answer is a whole number on it; None accepts any number.
    Returns one row (per group): ``n``, ``mean``, ``sd`` (sample, ddof 1), ``ci_low``,
    ``ci_high``, ``unanswered``. Groups of one answer have no interval.
    """
    check_alpha(alpha)
    frame = as_frame(scores, score)
    keys = group_columns(frame, by)
    if scale is None:
        values = pd.to_numeric(frame[score], errors="coerce").astype(float)
        if (values.isna() & frame[score].notna()).any():
            raise ParameterError(f"column {score!r} holds values that are not numbers.")
    else:
        values = checked_scores(frame, score, *_scale(scale))
    answered = values.notna()
    table = counts_by(
        frame,
        keys,
        {
            "n": answered,
            "total": values.fillna(0),
            "squares": values.fillna(0) ** 2,
            "unanswered": ~answered,
        },
    )
    n = table["n"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = table["total"].to_numpy() / n
        variance = (table["squares"].to_numpy() - n * mean**2) / (n - 1)
        sd = np.sqrt(np.maximum(variance, 0))
        half = stats.t.ppf(1 - alpha / 2, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
    half = np.where(n > 1, half, np.nan)
    table = _whole_counts(table, ["n", "unanswered"])
    table = table.assign(mean=mean, sd=np.where(n > 1, sd, np.nan))
    table = table.assign(ci_low=mean - half, ci_high=mean + half)
    return table[[*keys, "n", "mean", "sd", "ci_low", "ci_high", "unanswered"]]


def _scale(scale) -> tuple[int, int]:
    try:
        low, high = (int(v) for v in scale)
    except (TypeError, ValueError):
        raise ParameterError(f"scale={scale!r}: give (lowest, highest), e.g. (1, 5).") from None
    if low >= high:
        raise ParameterError(f"scale={scale!r}: the lowest answer must be below the highest.")
    return low, high


def _whole_counts(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return table.astype({c: "int64" for c in columns})
