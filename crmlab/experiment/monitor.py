"""A campaign read day by day: when could the test have stopped?

Day d counts a unit as converted when its first order came within d days of its
assignment (``cumulative_conversion``). Each day's difference in conversion gets the fixed-
horizon interval (valid for one planned look) and the always-valid interval of
``sequential.always_valid`` (valid however many days are looked at). The first day the
always-valid interval excludes 0 is the day the test could have stopped.

Here days add outcomes, not units: every unit is in from the start. The always-valid
guarantee is proved for units arriving one by one; for a growing outcome window it is
checked by simulation (tests/test_experiment_monitor.py: A/A campaigns read daily).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError, whole_number
from ..intervals import check_alpha, z_value
from .sequential import always_valid, check_tuning


def _converted_by_day(first: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Units whose first order came within each day (NaN: never bought)."""
    ordered = np.sort(first[~np.isnan(first)])
    return np.searchsorted(ordered, days, side="right")


def sequential_monitor(
    units: pd.DataFrame,
    window_days: int,
    variant: str = "variant",
    control: str = "control",
    alpha: float = 0.05,
    tuning: float | None = None,
) -> pd.DataFrame:
    """Each treatment arm against control by day since assignment, 1..window_days.

    units: one row per unit with ``variant`` and ``days_to_first_order`` (days from
    assignment to the first order, missing when none; ``features.experiment_units`` makes
    it). tuning: the always-valid test's tuning (default: the number of units in the test,
    all of which are known before the first look).
    Returns day, arm, n_control, n_treatment, control_share, treatment_share, difference
    (shares, treatment minus control), ci_low / ci_high (fixed horizon, 1 - alpha),
    av_low / av_high / p_value (always valid), significant (always-valid p < alpha) and
    stop (True on the first significant day of each arm).
    """
    check_alpha(alpha)
    whole_number("window_days", window_days)
    for column in (variant, "days_to_first_order"):
        if column not in units:
            raise ParameterError(
                f"the units table has no {column!r} column; features.experiment_units makes "
                "days_to_first_order from orders."
            )
    arms = sorted(units[variant].unique())
    if control not in arms:
        raise ParameterError(f"control={control!r} is not an arm; arms are {arms}.")
    tuning = len(units) if tuning is None else tuning
    check_tuning(tuning)
    days = np.arange(1, window_days + 1)
    first = {arm: part.to_numpy(float) for arm, part in
             units.groupby(variant)["days_to_first_order"]}  # fmt: skip
    n_c = len(first[control])
    share_c = _converted_by_day(first[control], days) / n_c
    q = z_value(alpha)
    tables = []
    for arm in arms:
        if arm == control:
            continue
        n_t = len(first[arm])
        share_t = _converted_by_day(first[arm], days) / n_t
        diff = share_t - share_c
        se = np.sqrt(share_c * (1 - share_c) / n_c + share_t * (1 - share_t) / n_t)
        low, high, p = always_valid(diff, se, n_c + n_t, alpha, tuning)
        significant = p < alpha
        stop = significant & (np.cumsum(significant) == 1)
        tables.append(pd.DataFrame({
            "day": days, "arm": arm, "n_control": n_c, "n_treatment": n_t,
            "control_share": share_c, "treatment_share": share_t, "difference": diff,
            "ci_low": diff - q * se, "ci_high": diff + q * se,
            "av_low": low, "av_high": high, "p_value": p,
            "significant": significant, "stop": stop,
        }))  # fmt: skip
    return pd.concat(tables, ignore_index=True)
