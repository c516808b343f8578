"""Two-sample tests from sufficient statistics (counts, sums, sums of squares).

Working from per-arm sufficient statistics means the data can be aggregated by the SQL
engine first; the tests then move a few numbers, not rows.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests

from ..errors import ParameterError
from ..intervals import check_alpha, z_value


class ProportionTest(NamedTuple):
    """Treatment minus control for a conversion-type metric.

    p_control, p_treatment: observed rates. difference: p_treatment - p_control. z, p_value:
    two-sided pooled two-proportion z-test (equals the chi-square test without continuity
    correction: z^2 = chi2). ci_low, ci_high: Wald interval for the difference (unpooled
    standard error) at 1 - alpha.
    """

    p_control: float
    p_treatment: float
    difference: float
    z: float
    p_value: float
    ci_low: float
    ci_high: float


class WelchTest(NamedTuple):
    """Treatment minus control for a mean: Welch's t-test (unequal variances).

    difference: mean_treatment - mean_control; t; df (Welch-Satterthwaite); p_value
    (two-sided); ci_low, ci_high for the difference at 1 - alpha.
    """

    mean_control: float
    mean_treatment: float
    difference: float
    t: float
    df: float
    p_value: float
    ci_low: float
    ci_high: float


def proportion_test(
    successes_control: float,
    n_control: float,
    successes_treatment: float,
    n_treatment: float,
    alpha: float = 0.05,
) -> ProportionTest:
    """Pooled two-proportion z-test and a Wald CI for the difference in proportions."""
    check_alpha(alpha)
    for name, (x, n) in {
        "control": (successes_control, n_control),
        "treatment": (successes_treatment, n_treatment),
    }.items():
        if n <= 0:
            raise ParameterError(f"the {name} arm is empty (n = {n}).")
        if not 0 <= x <= n:
            raise ParameterError(f"{name}: successes ({x}) must be between 0 and n ({n}).")
    p1, p2 = successes_control / n_control, successes_treatment / n_treatment
    pooled = (successes_control + successes_treatment) / (n_control + n_treatment)
    se_pooled = np.sqrt(pooled * (1 - pooled) * (1 / n_control + 1 / n_treatment))
    diff = p2 - p1
    if se_pooled == 0:  # both arms all 0 or all 1: no evidence of a difference
        z, p = 0.0, 1.0
    else:
        z = diff / se_pooled
        p = 2 * stats.norm.sf(abs(z))
    se = np.sqrt(p1 * (1 - p1) / n_control + p2 * (1 - p2) / n_treatment)
    q = z_value(alpha)
    return ProportionTest(p1, p2, diff, float(z), float(p), diff - q * se, diff + q * se)


def welch_test(
    n_control: float,
    mean_control: float,
    var_control: float,
    n_treatment: float,
    mean_treatment: float,
    var_treatment: float,
    alpha: float = 0.05,
) -> WelchTest:
    """Welch's t-test from per-arm n, mean and (sample, ddof=1) variance."""
    check_alpha(alpha)
    if min(n_control, n_treatment) < 2:
        raise ParameterError("each arm needs at least two units for a t-test.")
    a, b = var_control / n_control, var_treatment / n_treatment
    se = np.sqrt(a + b)
    diff = mean_treatment - mean_control
    if se == 0:
        raise ParameterError(
            "the metric is constant in both arms (zero variance): there is nothing to test."
        )
    df = (a + b) ** 2 / (a**2 / (n_control - 1) + b**2 / (n_treatment - 1))
    t = diff / se
    p = 2 * stats.t.sf(abs(t), df)
    q = stats.t.ppf(1 - alpha / 2, df)
    return WelchTest(
        mean_control,
        mean_treatment,
        diff,
        float(t),
        float(df),
        float(p),
        diff - q * se,
        diff + q * se,
    )


def adjust_pvalues(
    p_values, method: Literal["holm", "bh"] | None = "holm", alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """Adjusted p-values and rejections for a family of tests (statsmodels' multipletests'
    numbers).

    method: "holm" (controls the family-wise error rate), "bh" (Benjamini-Hochberg, controls
    the false discovery rate) or None (no correction).
    """
    check_alpha(alpha)
    p = np.asarray(list(p_values), dtype=float)
    if np.isnan(p).any():
        raise ParameterError("p_values contain NaN: a test could not be computed.")
    if method is None:
        return p, p < alpha
    if method == "holm":
        return _holm(p, alpha)
    if method != "bh":
        raise ParameterError(f"correction={method!r}: use 'holm', 'bh' or None.")
    reject, adjusted, _, _ = multipletests(p, alpha=alpha, method="fdr_bh")
    return adjusted, reject


def _holm(p: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Holm's step-down adjustment, as statsmodels computes it. statsmodels' own runs a full
    garbage collection on every call: 0.1-0.2 s in a report's kernel, once per read-out."""
    order = np.argsort(p, kind="stable")
    ranked, factors = p[order], np.arange(len(p), 0, -1)
    # rejected while every smaller p-value passed its threshold alpha / (m - rank + 1)
    reject = np.logical_and.accumulate(ranked <= alpha / factors)
    adjusted = np.minimum(np.maximum.accumulate(ranked * factors), 1.0)
    out_adjusted, out_reject = np.empty_like(adjusted), np.empty_like(reject)
    out_adjusted[order], out_reject[order] = adjusted, reject
    return out_adjusted, out_reject
