"""Checks that do not lean on normality, for heavy-tailed metrics such as revenue.

A few big spenders can dominate a revenue mean; Welch's t-test is then still valid for large
samples but slow to get there. Two second opinions:

- Mann-Whitney U (Wilcoxon rank-sum): does a random treated unit tend to beat a random
  control unit? Reported with the probability of superiority U / (n_t n_c) (0.5 = no
  difference). It tests a shift in distribution, not in the mean.
- Bootstrap percentile CI for the difference in means: resample units within each arm with
  replacement ``n_boot`` times. Costs O(n x n_boot) random draws per arm.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ParameterError
from ..randomness import RandomState, generator

# Resample in blocks of at most this many draws to bound memory (8 bytes each).
_BLOCK_DRAWS = 4_000_000


def nonparametric(
    units: pd.DataFrame,
    column: str,
    variant: str = "variant",
    control: str = "control",
    n_boot: int = 1000,
    alpha: float = 0.05,
    random_state: RandomState = 0,
    alternative: Literal["two-sided", "greater", "less"] = "two-sided",
) -> pd.DataFrame:
    """Mann-Whitney U and a bootstrap CI of the mean difference, per treatment arm.

    Columns: metric, arm, n_control, n_treatment, difference (treatment - control mean),
    boot_ci_low, boot_ci_high (percentile, at 1 - alpha), mann_whitney_u (the treatment
    arm's U), prob_superiority, mw_p_value (``alternative`` refers to treatment vs control).
    Same random_state, same numbers.
    """
    if column not in units or variant not in units:
        raise ParameterError(f"columns {column!r} and {variant!r} must both be in the table.")
    if n_boot < 100:
        raise ParameterError(f"n_boot={n_boot}: use at least 100 resamples (1000+ for CIs).")
    if units[column].isna().any():
        raise ParameterError(f"{column} has {int(units[column].isna().sum())} missing values.")
    arms = {arm: part[column].to_numpy(float) for arm, part in units.groupby(variant, sort=True)}
    if control not in arms:
        raise ParameterError(f"control={control!r} is not an arm; arms are {sorted(arms)}.")
    rng = generator(random_state)
    base = arms[control]
    base_means = _boot_means(base, n_boot, rng)
    rows = []
    for arm, values in arms.items():
        if arm == control:
            continue
        if len(values) == 0 or len(base) == 0:
            raise ParameterError(f"arm {arm!r} or {control!r} is empty.")
        diffs = _boot_means(values, n_boot, rng) - base_means
        test = stats.mannwhitneyu(values, base, alternative=alternative)
        rows.append(
            {
                "metric": column,
                "arm": arm,
                "n_control": len(base),
                "n_treatment": len(values),
                "difference": values.mean() - base.mean(),
                "boot_ci_low": float(np.quantile(diffs, alpha / 2)),
                "boot_ci_high": float(np.quantile(diffs, 1 - alpha / 2)),
                "mann_whitney_u": float(test.statistic),
                "prob_superiority": float(test.statistic) / (len(values) * len(base)),
                "mw_p_value": float(test.pvalue),
            }
        )
    return pd.DataFrame(rows)


def _boot_means(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Means of ``n_boot`` resamples of ``values`` (with replacement), drawn in blocks."""
    n = len(values)
    per_block = max(1, _BLOCK_DRAWS // max(n, 1))
    means = np.empty(n_boot)
    for start in range(0, n_boot, per_block):
        stop = min(n_boot, start + per_block)
        picks = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = values[picks].mean(axis=1)
    return means
