"""Breakage: the share of issued points that will never be redeemed, from cohort curves.

Points issued in one month form a cohort (``point_lots`` says when each of its points was
redeemed). A cohort's *redemption curve* is the cumulative share of its points redeemed by
each month of age. Young cohorts have not finished redeeming; their curves are completed by
the chain-ladder method: the volume-weighted ratio of redeemed-by-age a+1 to redeemed-by-age
a over the cohorts old enough to show both (the *development factor*), multiplied along
from each cohort's current age. After the oldest age any cohort has reached, a ``tail``
factor applies (1: no redemption later than that; right when points expire before it).

breakage = 1 − Σ issued × projected redeemed share / Σ issued, over all cohorts. Its interval
is a bootstrap over customers (Poisson weights: every customer's lots count w ~ Poisson(1)
times), so customers' own habits, not single points, are the unit of chance.

This is the input IFRS 15 asks for: the expected share of points to be redeemed
(``points_liability(periods=...expected_total)``) is issued × (1 − breakage).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data.validate import resolve_as_of
from ..errors import ParameterError
from ..intervals import check_alpha
from ..randomness import RandomState, generator
from .points import point_lots
from .program import as_periods

MIN_COHORTS = 3  # a development factor from fewer cohorts is flagged in the notes


@dataclass
class Breakage:
    """The breakage estimate and how it was reached.

    breakage, ci_low, ci_high: share of points issued up to ``as_of`` that will never be
        redeemed (0..1), with a bootstrap interval at ``1 - alpha``.
    cohorts: one row per issue month: cohort, issued, redeemed (so far), age_months,
        redeemed_share (so far), projected_share (at the end), breakage (1 - projected).
    factors: age_months, factor (cumulative redeemed at age+1 / at age), cohorts (how many
        cohorts it rests on).
    curves: cumulative redeemed share, cohorts × months of age (NaN beyond a cohort's age).
    """

    breakage: float
    ci_low: float
    ci_high: float
    alpha: float
    cohorts: pd.DataFrame
    factors: pd.DataFrame
    curves: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def breakage(
    events: pd.DataFrame,
    as_of,
    tail: float = 1.0,
    alpha: float = 0.05,
    n_boot: int = 200,
    random_state: RandomState = 0,
) -> Breakage:
    """Estimate breakage from ``loyalty_events`` up to ``as_of`` (see the module docstring).

    tail: the factor applied after the oldest age observed (>= 1; 1 assumes cohorts that
        old redeem nothing more).
    alpha: 1 - confidence of the interval; n_boot: bootstrap replicates (0: no interval).
    """
    if not tail >= 1:
        raise ParameterError(f"tail={tail!r}: a factor of at least 1 (1: no later redemption).")
    alpha = check_alpha(alpha)
    as_of = resolve_as_of(as_of)
    pieces = point_lots(events, as_of)
    if pieces.empty:
        raise ParameterError("loyalty_events has no issued points up to as_of: no breakage.")
    month = pd.PeriodIndex(as_periods(pieces["issued_at"]))
    first = month.min()
    cohort = month.asi8 - first.ordinal  # months since the first issue month
    n_cohorts = as_periods(pd.Series([as_of])).iloc[0].ordinal - first.ordinal + 1
    redeemed = (pieces["fate"] == "redeemed").to_numpy()
    left = pd.PeriodIndex(as_periods(pieces["left_at"])).asi8  # NaT: never read (not redeemed)
    age = np.where(redeemed, left - month.asi8, 0)
    customer = pd.factorize(pieces["customer_id"])[0]
    points = pieces["points"].to_numpy(float)

    def estimate(weights: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        w = points * weights[customer]
        issued = np.bincount(cohort, weights=w, minlength=n_cohorts)
        flat = cohort * n_cohorts + age.astype(int)
        paid = np.bincount(flat[redeemed], weights=w[redeemed], minlength=n_cohorts**2)
        cumulative = np.cumsum(paid.reshape(n_cohorts, n_cohorts), axis=1)
        _, projected, _, _ = _project(cumulative, tail)
        return 1 - projected.sum() / issued.sum(), issued, cumulative

    point, issued, cumulative = estimate(np.ones(customer.max() + 1))
    low = high = np.nan
    if n_boot:
        rng = generator(random_state)
        draws = [
            estimate(rng.poisson(1.0, customer.max() + 1).astype(float))[0] for _ in range(n_boot)
        ]
        low, high = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
    return _result(point, low, high, alpha, first, issued, cumulative, tail)


def chain_ladder(triangle) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Complete a cumulative development triangle by the chain-ladder method.

    triangle: rows are cohorts (oldest first), columns ages; cumulative values, NaN where
        a cohort has not reached an age yet (a DataFrame or a 2-d array).
    Returns (latest, ultimate, factors): per row the value at its latest age and the
    projected final value; per age a the volume-weighted factor a -> a+1 over the rows
    observed at a+1 (1 where there are none). Mack (1993)'s GenIns triangle gives factors
    3.491, 1.747, ..., 1.018 and a total reserve (ultimate - latest) of 18,680,856.
    """
    values = np.asarray(triangle, dtype=float)
    observed_age = (~np.isnan(values)).sum(axis=1) - 1
    filled = np.nan_to_num(values)
    factors, _ = _factors(filled, observed_age)
    latest = filled[np.arange(len(values)), observed_age]
    return latest, latest * _from_age(factors, observed_age), factors


def _from_age(factors: np.ndarray, age: np.ndarray) -> np.ndarray:
    """The product of the development factors from each age on (1 past the last)."""
    to_go = np.r_[np.cumprod(factors[::-1])[::-1], 1.0]
    return to_go[np.minimum(age, len(factors))]


def _factors(cumulative: np.ndarray, observed_age: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Volume-weighted development factors a -> a+1 over the rows observed at age a+1, and
    how many rows each rests on (ages 0 .. columns - 2)."""
    n_ages = cumulative.shape[1]
    factors, counts = np.ones(n_ages - 1), np.zeros(n_ages - 1, dtype=int)
    for a in range(n_ages - 1):
        seen = observed_age >= a + 1
        before, after = cumulative[seen, a].sum(), cumulative[seen, a + 1].sum()
        counts[a] = seen.sum()
        factors[a] = after / before if before > 0 else 1.0
    return factors, counts


def _project(cumulative: np.ndarray, tail: float):
    """(redeemed so far, projected at the end, factors, cohorts per factor) per cohort; the
    cohorts are months, oldest first, the last one the month of as_of."""
    n = cumulative.shape[0]
    observed_age = n - 1 - np.arange(n)
    so_far = cumulative[np.arange(n), observed_age]
    factors, counts = _factors(cumulative, observed_age)
    return so_far, so_far * _from_age(factors, observed_age) * tail, factors, counts


def _result(point, low, high, alpha, first, issued, cumulative, tail) -> Breakage:
    n = len(issued)
    observed_age = n - 1 - np.arange(n)
    labels = [str(first + k) for k in range(n)]
    so_far, projected, factors, counts = _project(cumulative, tail)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(issued > 0, so_far / issued, np.nan)
        final = np.where(issued > 0, projected / issued, np.nan)
        curve = cumulative / issued[:, None]
    curve = np.where(np.arange(n)[None, :] <= observed_age[:, None], curve, np.nan)
    cohorts = pd.DataFrame(
        {
            "cohort": labels,
            "issued": issued,
            "redeemed": so_far,
            "age_months": observed_age,
            "redeemed_share": share,
            "projected_share": final,
            "breakage": 1 - final,
        }
    )
    factor_frame = pd.DataFrame(
        {
            "age_months": np.arange(n - 1),
            "factor": factors[: n - 1],
            "cohorts": counts[: n - 1],
        }
    )
    notes = []
    thin = factor_frame[(factor_frame["cohorts"] < MIN_COHORTS) & (factor_frame["factor"] > 1)]
    if len(thin):
        notes.append(
            f"development factors from fewer than {MIN_COHORTS} cohorts at ages "
            f"{', '.join(map(str, thin['age_months']))} months: the youngest cohorts' "
            "projections rest on few customers"
        )
    if tail != 1:
        notes.append(f"a tail factor of {tail:g} is assumed after {n - 1} months of age")
    curves = pd.DataFrame(curve, index=pd.Index(labels, name="cohort"))
    curves.columns.name = "age_months"
    return Breakage(
        float(point), float(low), float(high), alpha, cohorts, factor_frame, curves, notes
    )
