"""Group-sequential designs: a few planned looks, each with its own z boundary.

Alpha spending (Lan & DeMets 1983): the type I error ``alpha`` is spent over the
information fraction t in (0, 1] by a spending function, and the boundary at look k is the
z value whose crossing probability, given no earlier crossing, spends exactly
``spent(t_k) - spent(t_{k-1})``.

- ``"obrien_fleming"``: spent(t) = 2 (1 - Phi(z_{1-alpha/2} / sqrt t)); almost nothing is
  spent early, so the last boundary stays close to the fixed-horizon one.
- ``"pocock"``: spent(t) = alpha log(1 + (e - 1) t); nearly flat boundaries, early stops
  are easier and the maximum sample size larger.

The crossing probabilities are integrals over the joint normal law of the z statistics
(Z_k = S_k / sqrt t_k, S a Brownian motion with drift), computed by the recursive numerical
integration of Armitage, McPherson & Rowe (1969) on the score scale with Simpson's rule
(Jennison & Turnbull 2000, ch. 19), the method of R's gsDesign and rpact. Deterministic:
no Monte Carlo.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import optimize, stats

from ..errors import ParameterError, whole_number
from ..intervals import check_alpha

Spending = Literal["obrien_fleming", "pocock"]
SPENDING = ("obrien_fleming", "pocock")
_GRID = 601  # points per look (odd, for Simpson's rule): bounds agree with 1201 points to 1e-8
_TAIL = 9.0  # standard deviations kept below the mean on one-sided designs
_FAR = 40.0  # a z no test reaches: the boundary of a look that spends nothing


def spent(fraction: np.ndarray | float, alpha: float, spending: Spending) -> np.ndarray:
    """Type I error spent by an information ``fraction`` (0 at 0, alpha at 1)."""
    t = np.asarray(fraction, dtype=float)
    if spending == "obrien_fleming":
        with np.errstate(divide="ignore"):
            return 2 * stats.norm.sf(stats.norm.isf(alpha / 2) / np.sqrt(t))
    if spending == "pocock":
        return alpha * np.log1p((np.e - 1) * t)
    raise ParameterError(f"spending={spending!r}: use one of {list(SPENDING)}.")


def _spent_by(t: np.ndarray, alpha: float, spending: Spending, sided: int) -> np.ndarray:
    """Cumulative alpha spent by each look: a two-sided design spends alpha / 2 on each
    side (the convention of gsDesign, rpact and the published tables)."""
    return spent(t, alpha, spending) if sided == 1 else 2 * spent(t, alpha / 2, spending)


def _fractions(looks: int, timing) -> np.ndarray:
    whole_number("looks", looks)
    if timing is None:
        return np.arange(1, looks + 1) / looks
    t = np.asarray(timing, dtype=float)
    if len(t) != looks or t[-1] != 1 or np.any(np.diff(t) <= 0) or t[0] <= 0:
        raise ParameterError(
            f"timing={list(timing)!r}: give {looks} increasing information fractions in "
            "(0, 1], the last one 1 (e.g. [0.25, 0.5, 1] for looks at a quarter, half, end)."
        )
    return t


def _simpson(a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    """Grid on [a, b] and Simpson's weights."""
    grid = np.linspace(a, b, _GRID)
    weights = np.ones(_GRID)
    weights[1:-1:2], weights[2:-1:2] = 4, 2
    return grid, weights * (b - a) / (3 * (_GRID - 1))


class _Walk:
    """The score S_k = Z_k sqrt(t_k) ~ N(drift t_k, t_k), followed look by look: the
    density of S on the continuation region of the last look (its mass is the chance that
    no boundary was crossed yet)."""

    def __init__(self, drift: float, two_sided: bool):
        self.drift, self.two_sided = drift, two_sided
        self.t = 0.0
        self.grid: np.ndarray | None = None  # None before the first look: S = 0 for sure
        self.density = self.weights = None

    def _from(self, step: float):
        """Points and weights of S at the previous look, and the step's mean."""
        if self.grid is None:
            return np.zeros(1), np.ones(1), self.drift * step
        return self.grid, self.density * self.weights, self.drift * step

    def crossing(self, c: float, t: float) -> float:
        """P(cross |Z| >= c (two-sided) or Z >= c at information t, no earlier crossing)."""
        step = t - self.t
        points, mass, mean = self._from(step)
        upper = stats.norm.sf((c * np.sqrt(t) - points - mean) / np.sqrt(step))
        if self.two_sided:
            upper = upper + stats.norm.cdf((-c * np.sqrt(t) - points - mean) / np.sqrt(step))
        return float(mass @ upper)

    def advance(self, c: float, t: float) -> None:
        """Move to the look at information t, keeping paths that did not cross c."""
        step = t - self.t
        points, mass, mean = self._from(step)
        top = c * np.sqrt(t)
        bottom = -top if self.two_sided else self.drift * t - _TAIL * np.sqrt(t)
        grid, weights = _simpson(min(bottom, top - 1e-9), top)
        kernel = stats.norm.pdf((grid[:, None] - points[None, :] - mean) / np.sqrt(step))
        self.density = kernel @ mass / np.sqrt(step)
        self.grid, self.weights, self.t = grid, weights, t


@dataclass(frozen=True)
class GroupSequentialDesign:
    """Boundaries of a group-sequential test and what they cost.

    bounds: z boundary per look (stop for efficacy when Z >= bound, or |Z| >= bound when
        two-sided). timing: information fraction of each look. alpha_spent: cumulative type
        I error spent by each look. nominal_p: the p-value each bound corresponds to (one-
        sided, or two-sided when sided=2). inflation: maximum sample size / fixed-horizon
        sample size for the same alpha and power. power, alpha, spending, sided: as asked.
        stop_probability: chance of stopping at each look when the planned effect is true.
        expected_fraction: expected sample size under the planned effect, as a fraction
        of the maximum.
    """

    bounds: np.ndarray
    timing: np.ndarray
    alpha_spent: np.ndarray
    nominal_p: np.ndarray
    inflation: float
    power: float
    alpha: float
    spending: str
    sided: int
    stop_probability: np.ndarray
    expected_fraction: float


def group_sequential_bounds(
    looks: int = 5,
    alpha: float = 0.025,
    spending: Spending = "obrien_fleming",
    sided: Literal[1, 2] = 1,
    timing=None,
) -> np.ndarray:
    """z boundaries per look for a Lan-DeMets alpha-spending design (see module docstring).

    looks: planned analyses, equally spaced in information unless ``timing`` gives the
    information fractions. alpha: total type I error, one-sided when ``sided=1`` (reject
    when Z >= bound), two-sided when ``sided=2`` (symmetric, reject when |Z| >= bound).
    For 5 looks, one-sided alpha 0.025, O'Brien-Fleming type: 4.877, 3.357, 2.680, 2.290,
    2.031 (as R's gsDesign and rpact).
    """
    check_alpha(alpha)
    if sided not in (1, 2):
        raise ParameterError(f"sided={sided!r}: use 1 (one-sided) or 2 (two-sided, symmetric).")
    t = _fractions(looks, timing)
    cumulative = _spent_by(t, alpha, spending, sided)
    walk, bounds = _Walk(0.0, sided == 2), []
    for k, tk in enumerate(t):
        target = cumulative[k] - (cumulative[k - 1] if k else 0.0)
        if target < 1e-15:  # spends nothing: the look cannot stop the test
            bound = np.inf
        else:
            bound = optimize.brentq(lambda c, t=tk, a=target: walk.crossing(c, t) - a, 0.0, _FAR)
        bounds.append(bound)
        walk.advance(min(bound, _FAR), tk)
    return np.array(bounds)


def _stops(bounds: np.ndarray, t: np.ndarray, drift: float, two_sided: bool) -> np.ndarray:
    """P(stop at look k) when Z_k ~ N(drift sqrt t_k, 1)."""
    walk, stops = _Walk(drift, two_sided), []
    for c, tk in zip(bounds, t, strict=True):
        c = min(c, _FAR)
        stops.append(walk.crossing(c, tk))
        walk.advance(c, tk)
    return np.array(stops)


def group_sequential_design(
    looks: int = 5,
    alpha: float = 0.025,
    power: float = 0.8,
    spending: Spending = "obrien_fleming",
    sided: Literal[1, 2] = 1,
    timing=None,
) -> GroupSequentialDesign:
    """Boundaries, sample-size inflation and expected sample size of a group-sequential test.

    The inflation factor multiplies a fixed-horizon sample size (same alpha and power) to
    give the maximum sample size; ``sample_size(..., looks=K)`` applies it. Power is for an
    effect in the planned direction.
    """
    if not 0 < power < 1:
        raise ParameterError(f"power={power!r}: must be between 0 and 1.")
    bounds = group_sequential_bounds(looks, alpha, spending, sided, timing)
    t = _fractions(looks, timing)
    fixed = stats.norm.isf(alpha / sided) + stats.norm.ppf(power)

    def shortfall(drift: float) -> float:
        return _stops(bounds, t, drift, sided == 2).sum() - power

    drift = optimize.brentq(shortfall, fixed * 0.9, fixed * 2.0)
    stops = _stops(bounds, t, drift, sided == 2)
    expected = float(stops[:-1] @ t[:-1] + (1 - stops[:-1].sum()) * t[-1])
    return GroupSequentialDesign(
        bounds=bounds,
        timing=t,
        alpha_spent=_spent_by(t, alpha, spending, sided),
        nominal_p=sided * stats.norm.sf(bounds),
        inflation=float((drift / fixed) ** 2),
        power=power,
        alpha=alpha,
        spending=spending,
        sided=sided,
        stop_probability=stops,
        expected_fraction=expected,
    )
