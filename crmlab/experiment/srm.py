"""Sample-ratio mismatch: are the arms as large as the design says they should be?"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import stats

from ..errors import ParameterError

SRM_ALPHA = 0.001  # the usual, deliberately strict threshold: SRM means broken assignment


class SRMResult(NamedTuple):
    """chi2: Pearson chi-square statistic; p_value; expected: expected counts per arm;
    mismatch: True when p_value < threshold (the experiment's numbers are not trustworthy)."""

    chi2: float
    p_value: float
    expected: tuple[float, ...]
    mismatch: bool


def srm(counts, expected_shares=None, threshold: float = SRM_ALPHA) -> SRMResult:
    """Chi-square goodness-of-fit test of arm sizes against the designed shares.

    counts: units per arm. expected_shares: designed shares (default: equal); they are
    normalized to sum to 1.
    """
    observed = np.asarray(list(counts), dtype=float)
    if observed.ndim != 1 or len(observed) < 2:
        raise ParameterError("counts: give the number of units in each of at least two arms.")
    if (observed < 0).any() or observed.sum() == 0:
        raise ParameterError(f"counts={observed.tolist()}: need non-negative counts, not all 0.")
    shares = (
        np.full(len(observed), 1 / len(observed))
        if expected_shares is None
        else np.asarray(list(expected_shares), dtype=float)
    )
    if shares.shape != observed.shape or (shares <= 0).any():
        raise ParameterError(
            f"expected_shares={shares.tolist()}: one positive share per arm is needed."
        )
    expected = observed.sum() * shares / shares.sum()
    chi2, p = stats.chisquare(observed, expected)
    return SRMResult(float(chi2), float(p), tuple(expected.tolist()), bool(p < threshold))
