"""The pieces of a campaign read-out: standard metrics, balance, cumulative conversion, verdict."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..intervals import level_label
from .analyze import Mean, Metric, Proportion, Ratio, Readout

# Metrics of ``crmlab.features.experiment_units`` by name (money and counts use CUPED).
STANDARD_METRICS: dict[str, Metric] = {
    "converted": Proportion("converted"),
    "revenue": Mean("revenue", covariate="pre_revenue", label="revenue"),
    "n_orders": Mean("n_orders", covariate="pre_orders", label="n_orders"),
    "orders_per_session": Ratio("n_orders", "sessions", label="orders_per_session"),
}


def standard_metrics(names: list[str]) -> list[Metric]:
    """Metric objects from names (the first is the primary metric).

    A name is one of ``STANDARD_METRICS`` or a spec for any column of a per-unit table:
    ``proportion(col)``, ``mean(col)``, ``mean(col, covariate)`` (CUPED) or
    ``ratio(numerator, denominator)``; notebook parameters can only carry strings.
    """
    if not names:
        raise ParameterError(f"metrics={names!r}: give at least one metric.")
    return [_metric(name) for name in names]


def _metric(name: str) -> Metric:
    if name in STANDARD_METRICS:
        return STANDARD_METRICS[name]
    match = re.fullmatch(r"\s*(proportion|mean|ratio)\s*\(([^()]*)\)\s*", name)
    args = [a.strip() for a in match.group(2).split(",")] if match else []
    kind = match.group(1) if match else None
    if kind == "proportion" and len(args) == 1 and args[0]:
        return Proportion(args[0])
    if kind == "mean" and len(args) in (1, 2) and all(args):
        return Mean(args[0], covariate=args[1] if len(args) == 2 else None)
    if kind == "ratio" and len(args) == 2 and all(args):
        return Ratio(args[0], args[1])
    raise ParameterError(
        f"metric {name!r} is not understood: use one of {sorted(STANDARD_METRICS)} or "
        "proportion(col), mean(col), mean(col, covariate), ratio(numerator, denominator)."
    )


def balance(
    units: pd.DataFrame, covariates: list[str], variant: str = "variant", control: str = "control"
) -> pd.DataFrame:
    """Pre-period balance: mean per arm and the standardized mean difference (|SMD| > 0.1 is
    the usual warning sign that randomization or logging went wrong)."""
    rows = []
    for column in covariates:
        pooled_sd = units[column].std(ddof=1)
        control_mean = units.loc[units[variant] == control, column].mean()
        for arm, part in units.groupby(variant, sort=True):
            if arm == control:
                continue
            smd = (part[column].mean() - control_mean) / pooled_sd if pooled_sd > 0 else 0.0
            rows.append(
                {
                    "covariate": column,
                    "arm": arm,
                    "control_mean": control_mean,
                    "treatment_mean": part[column].mean(),
                    "smd": smd,
                    "balanced": abs(smd) <= 0.1,
                }
            )
    return pd.DataFrame(rows)


def cumulative_conversion(
    units: pd.DataFrame, window_days: int, variant: str = "variant"
) -> pd.DataFrame:
    """Share of each arm converted by day 1..window_days after assignment (tidy)."""
    days = np.arange(1, int(window_days) + 1)
    rows = []
    for arm, part in units.groupby(variant, sort=True):
        first = part["days_to_first_order"].to_numpy(float)
        for d in days:
            rows.append({"day": d, "arm": arm, "converted_share": float(np.mean(first <= d))})
    return pd.DataFrame(rows)


def verdict(readout: Readout, primary: str) -> str:
    """One sentence: ship / don't ship / inconclusive, from the primary metric's results
    (intervals at the read-out's own level, 1 - alpha)."""
    srm, table = readout.srm, readout.table
    if srm.mismatch:
        return (
            f"Do not decide: the arms are not the sizes the design planned (sample-ratio "
            f"mismatch, p = {srm.p_value:.2g}); fix assignment or logging first."
        )
    rows = table[table["metric"] == primary]
    if rows.empty:
        raise ParameterError(f"primary metric {primary!r} is not in the results.")
    sentences = []
    for _, r in rows.iterrows():
        level = level_label(readout.alpha)
        lift = (
            f"{r['relative_lift']:+.1%} ({level} CI {r['lift_ci_low']:+.1%} to "
            f"{r['lift_ci_high']:+.1%})"
        )
        if r["significant"] and r["difference"] > 0:
            sentences.append(
                f"Ship {r['arm']}: {primary} {lift}, adjusted p = {r['p_adjusted']:.3g}."
            )
        elif r["significant"]:
            sentences.append(
                f"Don't ship {r['arm']}: {primary} {lift}, adjusted p = {r['p_adjusted']:.3g}."
            )
        else:
            sentences.append(
                f"Inconclusive for {r['arm']}: {primary} {lift}; the data are "
                "consistent with no effect."
            )
    return " ".join(sentences)
