"""Holdout evaluation: fit on a calibration period, predict the holdout, compare."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import CRMLabError
from ..features import CalibrationHoldout, calibration_holdout, purchase_tracking
from ..units import RELATIVE_CHANGE, TimeUnit, days_per_unit
from .model import MODEL_NAMES, CLVModel, fit


@dataclass(frozen=True)
class Evaluation:
    """What ``evaluate`` measured. metrics: metric, value, unit (per-customer MAE and RMSE
    of holdout purchases, total actual and predicted holdout purchases and their relative
    error; ``crmlab.units.format_quantity`` prints a value in its unit).
    by_frequency: per calibration frequency (7 means 7+), customers, actual and
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
    engine=None,
) -> Evaluation:
    """Fit ``model`` on purchases up to calibration_end and check it on the holdout period.

    Time is measured as in the papers by default (weeks at daily resolution: time_unit="W",
    period="D"). engine: where the summaries' SQL runs (None: embedded DuckDB; a
    SparkSession or Spark Connect address); the model fits here, on the per-customer table.
    """
    both = calibration_holdout(
        orders, calibration_end, observation_end, time_unit, period, engine=engine
    )
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
            "unit": [
                "customers",
                fitted.unit_name,
                "purchases per customer",
                "purchases per customer",
                "purchases",
                "purchases",
                RELATIVE_CHANGE,
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
    tracking = _tracking(orders, fitted, both, period, engine)
    return Evaluation(metrics, by_frequency, tracking, per_customer, fitted)


def _tracking(
    orders, fitted: CLVModel, both: CalibrationHoldout, period: str, engine
) -> pd.DataFrame:
    """Cumulative repeat purchases of the calibration cohort: actual vs the model's
    unconditional expectation summed over customers by their first-purchase date."""
    cal_end = both.calibration_end
    counts = purchase_tracking(
        orders, both.observation_end, period=period, cohort_end=cal_end, engine=engine
    )
    cohort = counts[counts["period"] <= cal_end]
    unit = pd.Timedelta(days=days_per_unit(fitted.time_unit))
    step = pd.Timedelta(days=days_per_unit(period))
    firsts = cohort.loc[cohort["first_purchases"] > 0, ["period", "first_purchases"]]
    actual_new = counts["repeat_purchases"].to_numpy(float)
    ends = counts["period"] + step
    # as datetime64 (UTC): tz-aware values would subtract as Python objects, one by one
    end_at = ends.to_numpy(dtype="datetime64[ns]")
    first_at = firsts["period"].to_numpy(dtype="datetime64[ns]")
    ages = np.clip((end_at[:, None] - first_at[None, :]) / unit.to_timedelta64(), 0, None)
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


def compare(
    orders,
    calibration_end,
    observation_end,
    models: tuple[str, ...] = ("bgnbd", "pareto_nbd", "mbgnbd"),
    time_unit: TimeUnit = "W",
    period: str = "D",
    penalizer: float = 0.0,
) -> pd.DataFrame:
    """Which purchase model fits and predicts best: each fitted on the calibration period
    and checked on the holdout (``evaluate``).

    One row per model: model, fitted_as (the model, or its no-dropout limit), parameters
    (number estimated), log_likelihood (calibration, total), aic (2k - 2 LL: lower is
    better), mae and rmse (holdout purchases per customer), total_error (relative error of
    total holdout purchases) and note (why a model could not be fitted; its numbers are
    then empty). Sorted by AIC.
    """
    rows = []
    for name in models:
        try:
            check = evaluate(
                orders, calibration_end, observation_end, name, time_unit, period, penalizer
            )
        except CRMLabError as exc:
            rows.append({"model": MODEL_NAMES.get(name, name), "note": str(exc)})
            continue
        fitted, metrics = check.model, check.metrics.set_index("metric")["value"]
        k = len(fitted.params)
        rows.append(
            {
                "model": MODEL_NAMES[name],
                "fitted_as": fitted.model_name,
                "parameters": k,
                "log_likelihood": fitted.log_likelihood,
                "aic": 2 * k - 2 * fitted.log_likelihood,
                "mae": metrics["MAE per customer"],
                "rmse": metrics["RMSE per customer"],
                "total_error": metrics["relative error of the total"],
                "note": "",
            }
        )
    columns = [
        "model",
        "fitted_as",
        "parameters",
        "log_likelihood",
        "aic",
        "mae",
        "rmse",
        "total_error",
        "note",
    ]
    table = pd.DataFrame(rows).reindex(columns=columns)
    table["parameters"] = table["parameters"].astype("Int64")
    table["note"] = table["note"].fillna("")
    return table.sort_values("aic", na_position="last", kind="stable").reset_index(drop=True)
