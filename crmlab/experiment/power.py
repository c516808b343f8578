"""Planning: how many units a test needs, and what effect it can detect."""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy import optimize, stats

from ..errors import ParameterError, whole_number
from .group_sequential import Spending, group_sequential_design


def _z(alpha: float, power: float) -> tuple[float, float]:
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ParameterError(f"alpha={alpha!r}, power={power!r}: both must be between 0 and 1.")
    return stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)


def _t_power(sd: float | None):
    """statsmodels' two-sample t-test power solver, after checking the metric's sd."""
    if sd is None or sd <= 0:
        raise ParameterError("kind='mean' needs the metric's standard deviation sd > 0.")
    from statsmodels.stats.power import TTestIndPower

    return TTestIndPower()


def sample_size(
    baseline: float,
    mde: float,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    kind: Literal["proportion", "mean"] = "proportion",
    sd: float | None = None,
    looks: int = 1,
    spending: Spending = "obrien_fleming",
) -> int:
    """Units needed in the control arm (treatment: ``ratio`` times as many), two-sided.

    looks > 1 plans a group-sequential test with that many equally spaced analyses and
    alpha-spending boundaries (``group_sequential_design``, two-sided, same alpha and
    power): the fixed-horizon size times the design's inflation factor, rounded up. That is
    the maximum; a test that stops early uses fewer units (the design's expected_fraction).

    kind="proportion": baseline rate and absolute mde (e.g. 0.20 and 0.05), with the
    unpooled-alternative formula of Evan Miller's calculator,
        n = (z_a sqrt((1 + 1/ratio) p(1-p)) + z_b sqrt(p(1-p) + (p+d)(1-p-d)/ratio))^2 / d^2,
    rounded to the nearest unit as that calculator shows it.
    kind="mean": absolute mde in the metric's unit and its standard deviation ``sd``; the
    two-sample t-test power equation is solved exactly (statsmodels' TTestIndPower), rounded up.
    """
    if ratio <= 0:
        raise ParameterError(f"ratio={ratio!r} must be positive (treatment / control size).")
    whole_number("looks", looks)
    if mde == 0:
        raise ParameterError("mde must not be 0: no sample can detect a zero effect.")
    _z(alpha, power)
    if kind == "proportion":
        p, d = baseline, abs(mde)
        if not 0 < p < 1 or not 0 < p + d < 1:
            raise ParameterError(f"baseline={baseline!r}, mde={mde!r}: rates must stay in (0, 1).")
        n = _proportion_n(p, d, alpha, power, ratio)
        fixed = int(np.floor(n + 0.5))
    elif kind == "mean":
        n = _t_power(sd).solve_power(
            effect_size=abs(mde) / sd, alpha=alpha, power=power, ratio=ratio
        )
        fixed = int(np.ceil(n - 1e-9))
    else:
        raise ParameterError(f"kind={kind!r}: use 'proportion' or 'mean'.")
    if looks == 1:
        return fixed
    design = group_sequential_design(looks, alpha, power, spending, sided=2)
    return int(np.ceil(n * design.inflation - 1e-9))


def mde(
    n_control: int,
    baseline: float,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    kind: Literal["proportion", "mean"] = "proportion",
    sd: float | None = None,
) -> float:
    """Smallest absolute effect detectable with n_control units (inverse of sample_size)."""
    if n_control < 2:
        raise ParameterError(f"n_control={n_control!r}: need at least 2 units.")
    if kind == "mean":
        d = _t_power(sd).solve_power(nobs1=n_control, alpha=alpha, power=power, ratio=ratio)
        return float(d * sd)
    _z(alpha, power)

    def gap(d: float) -> float:
        left, right = _proportion_n(baseline, d, alpha, power, ratio), n_control
        return left - right

    upper = 1 - baseline - 1e-9
    return float(optimize.brentq(gap, 1e-6, upper))


def _proportion_n(p: float, d: float, alpha: float, power: float, ratio: float) -> float:
    za, zb = _z(alpha, power)
    left = za * np.sqrt((1 + 1 / ratio) * p * (1 - p))
    right = zb * np.sqrt(p * (1 - p) + (p + d) * (1 - p - d) / ratio)
    return (left + right) ** 2 / d**2
