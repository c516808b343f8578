"""Always-valid inference: intervals and p-values that stay valid however often one looks.

A normal-mixture sequential probability ratio test (mSPRT; Robbins 1970, Johari et al.
2017), in the asymptotic confidence-sequence form of Waudby-Smith et al. (2021,
arXiv:2103.06476, eqs. 155 and 161) that GrowthBook ships. For an estimate with standard
error ``se`` from ``n`` units in all (sigma^2 = se^2 n, the per-unit variance):

    half-width = sigma sqrt( 2 (n rho^2 + 1) / (n^2 rho^2) * log( sqrt(n rho^2 + 1) / alpha ) )
    e-value    = exp( z^2 n rho^2 / (2 (n rho^2 + 1)) ) / sqrt(n rho^2 + 1),  z = estimate / se
    p-value    = min(1, 1 / e-value)

with rho^2 = (-2 log alpha + log(-2 log alpha + 1)) / tuning. ``tuning`` is the total sample
size at which the interval is tightest: set it to the planned size before looking at the
data (GrowthBook's default is 5,000). The p-value is below alpha exactly when the interval
excludes 0, at any look, and the chance that any look ever wrongly rejects is at most alpha.
The price: at a single, planned look the interval is wider than the fixed-horizon one.
"""

from __future__ import annotations

import numbers
from typing import Literal, NamedTuple

import numpy as np

from ..errors import ParameterError
from ..intervals import check_alpha

DEFAULT_TUNING = 5_000


def check_tuning(tuning: float) -> None:
    """Refuse a tuning that is not a positive number of units."""
    if isinstance(tuning, bool) or not isinstance(tuning, numbers.Real) or not tuning > 0:
        raise ParameterError(
            f"tuning={tuning!r}: give the planned total number of units (> 0), e.g. 5000."
        )
    if not np.isfinite(tuning):
        raise ParameterError(f"tuning={tuning!r}: must be finite.")


def _rho_squared(alpha: float, tuning: float) -> float:
    check_tuning(tuning)
    log_alpha = -2 * np.log(alpha)
    return (log_alpha + np.log(log_alpha + 1)) / tuning


def always_valid(
    estimate, se, n, alpha: float = 0.05, tuning: float = DEFAULT_TUNING
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Always-valid interval (low, high) and p-value for estimates with standard errors
    ``se`` from ``n`` units in all (vectorized; see the module docstring)."""
    check_alpha(alpha)
    estimate, se, n = (np.asarray(v, dtype=float) for v in (estimate, se, n))
    rho2 = _rho_squared(alpha, tuning)
    spread = n * rho2 + 1
    with np.errstate(divide="ignore", invalid="ignore"):
        half = se * np.sqrt(2 * spread / (n * rho2) * np.log(np.sqrt(spread) / alpha))
        z2 = (estimate / se) ** 2
        log_e = z2 * n * rho2 / (2 * spread) - 0.5 * np.log(spread)
    p = np.minimum(1.0, np.exp(-log_e))
    return estimate - half, estimate + half, np.where(se > 0, p, 1.0)


class SequentialTest(NamedTuple):
    """An always-valid comparison of two arms.

    effect: "relative" ((treatment - control) / control) or "absolute" (treatment -
    control). estimate, ci_low, ci_high, p_value: always-valid, at level 1 - alpha.
    se: the estimate's standard error (delta method for the relative effect). control_mean,
    treatment_mean: per-unit means (rates for proportions). n: units in both arms.
    """

    effect: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    se: float
    control_mean: float
    treatment_mean: float
    n: int
    alpha: float
    tuning: float


def _arm(label: str, n, total, squares, kind: str) -> tuple[float, float]:
    """Mean and per-unit variance of one arm from its sufficient statistics."""
    if n is None or total is None or n < 2:
        raise ParameterError(f"{label}: give n (at least 2 units) and the sum of the metric.")
    mean = total / n
    if kind == "proportion":
        if not 0 <= mean <= 1:
            raise ParameterError(
                f"{label}: {total} successes out of {n} units is not a proportion."
            )
        return mean, mean * (1 - mean)  # Bernoulli variance, as GrowthBook
    if kind != "mean":
        raise ParameterError(f"kind={kind!r}: use 'mean' or 'proportion'.")
    if squares is None:
        raise ParameterError(f"{label}: kind='mean' needs the sum of squares of the metric.")
    variance = (squares - total**2 / n) / (n - 1)
    if variance < -1e-9 * max(1.0, squares):
        raise ParameterError(
            f"{label}: sum of squares {squares} is smaller than sum^2 / n: not one metric's "
            "sufficient statistics."
        )
    return mean, max(variance, 0.0)


def sequential_test(
    n_control: int,
    sum_control: float,
    n_treatment: int,
    sum_treatment: float,
    sum_squares_control: float | None = None,
    sum_squares_treatment: float | None = None,
    kind: Literal["mean", "proportion"] = "mean",
    effect: Literal["relative", "absolute"] = "relative",
    alpha: float = 0.05,
    tuning: float = DEFAULT_TUNING,
) -> SequentialTest:
    """Always-valid two-sided test of treatment against control from sufficient statistics.

    Per arm: the number of units, the sum of the metric and (kind="mean") its sum of
    squares; for kind="proportion" the sum is the number of converted units. The relative
    effect's standard error is the delta method's,
        se^2 = var_t / (mean_c^2 n_t) + var_c mean_t^2 / (mean_c^4 n_c).

    Reproduces GrowthBook's published numbers, e.g.::

        sequential_test(3000, 1396.87, 3461, 2422.7, 52377.9767, 134698.29, tuning=1000)
        # estimate 0.50336, interval [-0.55844, 1.56516], p = 1
    """
    mc, vc = _arm("control", n_control, sum_control, sum_squares_control, kind)
    mt, vt = _arm("treatment", n_treatment, sum_treatment, sum_squares_treatment, kind)
    if effect == "relative":
        if mc == 0:
            raise ParameterError("the control mean is 0: use effect='absolute'.")
        estimate = (mt - mc) / mc
        se = np.sqrt(vt / (mc**2 * n_treatment) + vc * mt**2 / (mc**4 * n_control))
    elif effect == "absolute":
        estimate, se = mt - mc, np.sqrt(vt / n_treatment + vc / n_control)
    else:
        raise ParameterError(f"effect={effect!r}: use 'relative' or 'absolute'.")
    n = n_control + n_treatment
    low, high, p = always_valid(estimate, se, n, alpha, tuning)
    return SequentialTest(
        effect, float(estimate), float(low), float(high), float(p), float(se),
        float(mc), float(mt), int(n), alpha, float(tuning),
    )  # fmt: skip
