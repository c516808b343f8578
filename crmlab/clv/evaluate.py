"""Holdout evaluation: fit on a calibration period, predict the holdout, compare."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..features import CalibrationHoldout, calibration_holdout, purchase_tracking
from ..units import TimeUnit, days_per_unit
from .model import CLVModel, fit


@dataclass(frozen=True)
class Evaluation:
    """What ``evaluate`` measured. metrics: metric, value (per-customer MAE and RMSE of
    holdout purchases, total actual and predicted holdout purchases and their relative
    error). by_frequency: per calibration frequency (7 means 7+), customers, actual and
    predicted mean holdout purchases (the classic chart). tracking: per period, actual and
    predicted cumulative repeat purchases of the cohort (the tracking chart). per_customer:
    actual and predicted per customer. model: the model fitted on the calibration period."""

    metrics: pd.DataFrame
    by_frequency: pd.DataFrame
    tracking: pd.DataFrame
    per_customer: pd.DataFrame
    model: CLVModel


def evaluate(
    orders,
    calibration_end,
    observation_end,
    model: str = "bgnbd",
    time_unit: TimeUnit = "W",
    period: str = "D",
    penalizer: float = 0.0,
    max_frequency: int = 7,
) -> Evaluation:
    """Fit ``model`` on purchases up to calibration_end and check it on the holdout period.

    Time is measured as in the papers by default (weeks at daily resolution: time_unit="W",
    period="D").
    """
    both = calibration_holdout(orders, calibration_end, observation_end, time_unit, period)
    fitted = fit(both.calibration, model=model, spend_model=None, penalizer=penalizer)
    horizon = both.duration_holdout
    per_customer = pd.DataFrame(
        {
            "frequency_cal": both.calibration.table["frequency"],
            "actual": both.holdout["frequency_holdout"],
            "predicted": fitted.expected_purchases(horizon, time_unit),
        }
    )
    error = per_customer["predicted"] - per_customer["actual"]
    total_actual, total_predicted = per_customer["actual"].sum(), per_customer["predicted"].sum()
    metrics = pd.DataFrame(
        {
            "metric": [
                "customers",
                f"holdout length ({fitted.unit_name})",
                "MAE per customer",
                "RMSE per customer",
                "actual holdout purchases",
                "predicted holdout purchases",
                "relative error of the total",
            ],
            "value": [
                len(per_customer),
                horizon,
                float(error.abs().mean()),
                float(np.sqrt((error**2).mean())),
                float(total_actual),
                float(total_predicted),
                float(total_predicted / total_actual - 1),
            ],
        }
    )
    capped = per_customer["frequency_cal"].clip(upper=max_frequency).astype(int)
    by_frequency = (
        per_customer.groupby(capped)
        .agg(
            customers=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean")
        )
        .rename_axis("frequency_cal")
        .reset_index()
    )
    tracking = _tracking(orders, fitted, both, period)
    return Evaluation(metrics, by_frequency, tracking, per_customer, fitted)


def _tracking(orders, fitted: CLVModel, both: CalibrationHoldout, period: str) -> pd.DataFrame:
    """Cumulative repeat purchases of the calibration cohort: actual vs the model's
    unconditional expectation summed over customers by their first-purchase date."""
    cal_end = both.calibration_end
    counts = purchase_tracking(orders, both.observation_end, period=period, cohort_end=cal_end)
    cohort = counts[counts["period"] <= cal_end]
    unit = pd.Timedelta(days=days_per_unit(fitted.time_unit))
    step = pd.Timedelta(days=days_per_unit(period))
    firsts = cohort.loc[cohort["first_purchases"] > 0, ["period", "first_purchases"]]
    actual_new = counts["repeat_purchases"].to_numpy(float)
    ends = counts["period"] + step
    ages = (ends.to_numpy()[:, None] - firsts["period"].to_numpy()[None, :]) / unit
    ages = np.clip(ages.astype(float), 0, None)
    expected = fitted.purchase_fitter.expected_number_of_purchases_up_to_time(ages.ravel())
    expected = np.asarray(expected, float).reshape(ages.shape) @ firsts["first_purchases"].to_numpy(
        float
    )
    out = pd.DataFrame(
        {
            "period": counts["period"],
            "actual_cumulative": np.cumsum(actual_new),
            "predicted_cumulative": expected,
        }
    )
    out["in_calibration"] = out["period"] <= cal_end
    return out
