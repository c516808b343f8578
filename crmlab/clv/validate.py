"""Holdout validation: fit on a calibration period, predict the holdout, compare."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..features import calibration_holdout, purchase_tracking
from .model import CLVModel, fit

_CAL = ["frequency", "recency", "T", "monetary_value"]


@dataclass
class ValidationResult:
    """metrics: metric, value (per-customer MAE and RMSE of holdout purchases, total actual
    and predicted holdout purchases and their relative error). by_frequency: per calibration
    frequency (7 means 7+), customers, actual and predicted mean holdout purchases (the classic
    chart). tracking: per period, actual and predicted cumulative repeat purchases of the
    cohort (the tracking chart). per_customer: actual and predicted per customer."""

    model: CLVModel
    metrics: pd.DataFrame
    by_frequency: pd.DataFrame
    tracking: pd.DataFrame
    per_customer: pd.DataFrame


def validate(
    orders,
    calibration_end,
    observation_end,
    model: str = "bgnbd",
    freq: str = "D",
    freq_multiplier: float = 7,
    penalizer: float = 0.0,
    max_frequency: int = 7,
) -> ValidationResult:
    """Fit ``model`` on purchases up to calibration_end and check it on the holdout period.

    Time is measured as in the papers by default (days / 7 = weeks at daily resolution).
    """
    both = calibration_holdout(
        orders, calibration_end, observation_end, freq=freq, freq_multiplier=freq_multiplier
    )
    calibration = both[[f"{c}_cal" for c in _CAL]].set_axis(_CAL, axis=1)
    calibration.attrs.update(both.attrs)
    fitted = fit(calibration, model=model, spend_model=None, penalizer=penalizer)
    horizon = float(both["duration_holdout"].iloc[0])
    per_customer = pd.DataFrame(
        {
            "frequency_cal": calibration["frequency"],
            "actual": both["frequency_holdout"],
            "predicted": fitted.expected_purchases(horizon),
        }
    )
    error = per_customer["predicted"] - per_customer["actual"]
    total_actual, total_predicted = per_customer["actual"].sum(), per_customer["predicted"].sum()
    metrics = pd.DataFrame(
        {
            "metric": [
                "customers",
                "holdout length (model units)",
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
    tracking = _tracking(orders, fitted, both.attrs, observation_end, freq, freq_multiplier)
    return ValidationResult(fitted, metrics, by_frequency, tracking, per_customer)


def _tracking(orders, fitted: CLVModel, attrs, observation_end, freq, multiplier) -> pd.DataFrame:
    """Cumulative repeat purchases of the calibration cohort: actual vs the model's
    unconditional expectation summed over customers by their first-purchase date."""
    cal_end = pd.Timestamp(attrs["calibration_end"])
    counts = purchase_tracking(orders, observation_end, freq=freq, cohort_end=cal_end)
    cohort = counts[counts["period"] <= cal_end]
    unit = pd.Timedelta(days=fitted.unit_days)
    step = pd.Timedelta(days=1 if freq == "D" else 7)
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
