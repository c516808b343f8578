"""Confidence intervals, one convention: ``alpha`` (0.05 = 95% intervals) is an argument,
intervals are columns ``ci_low`` / ``ci_high`` (or ``<quantity>_ci_low`` / ``_ci_high``
when a table has several), and a label printed next to them comes from ``level_label``."""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri  # scipy.stats.norm.ppf, bit for bit, without scipy.stats' import

from .errors import ParameterError


def check_alpha(alpha: float) -> float:
    """alpha as a float in (0, 1); a ParameterError otherwise."""
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise ParameterError(f"alpha={alpha!r} must be between 0 and 1 (0.05 = 95% intervals).")
    return float(alpha)


def z_value(alpha: float) -> float:
    """The two-sided normal quantile for level 1 - alpha (1.96 for alpha = 0.05)."""
    return float(ndtri(1 - check_alpha(alpha) / 2))


def level_label(alpha: float) -> str:
    """ "95%" for alpha = 0.05, "90%" for 0.1, "97.5%" for 0.025."""
    level = 100 * (1 - check_alpha(alpha))
    return f"{level:.1f}".rstrip("0").rstrip(".") + "%"


def log_scale_interval(estimate, standard_error, alpha: float):
    """Interval for a positive quantity computed on the log scale (delta method): never
    below zero. Returns (ci_low, ci_high) arrays."""
    estimate = np.asarray(estimate, float)
    spread = np.exp(z_value(alpha) * np.asarray(standard_error, float) / estimate)
    return estimate / spread, estimate * spread
