"""The pieces of a campaign read-out: standard metrics, balance, cumulative conversion, verdict."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from ..data.normalize import looks_like_key
from ..errors import ParameterError
from ..intervals import level_label
from .analyze import Mean, Metric, Proportion, Ratio, Readout, analyze

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


def default_metrics(
    units: pd.DataFrame, variant: str = "variant", unit: str | None = "customer_id"
) -> list[Metric]:
    """The outcome columns a per-unit table has, as metrics: 0/1 columns as proportions,
    other numeric columns as means (CUPED on ``pre_<column>`` when that column exists).
    ``pre_*`` columns are covariates, text columns labels (segments), columns of distinct
    whole numbers ids. ``converted`` comes
    first when present (the primary metric); otherwise the table's order.
    Raises ``ParameterError`` when no column is numeric."""
    skip = {variant, unit}
    chosen = []
    for column in units.columns:
        values = units[column]
        if column in skip or str(column).startswith("pre_"):
            continue
        if not pd.api.types.is_numeric_dtype(values) or looks_like_key(values):
            continue  # labels and ids are no outcomes (booleans count as numeric)
        if set(pd.unique(values.dropna())) <= {0, 1}:
            chosen.append(Proportion(column))
        else:
            pre = f"pre_{column}"
            chosen.append(Mean(column, covariate=pre if pre in units else None))
    if not chosen:
        raise ParameterError(
            f"the units table has no numeric outcome column (columns: {list(units.columns)}); "
            "name the metrics, e.g. metrics=['proportion(bought)', 'mean(spend)']."
        )
    chosen.sort(key=lambda m: m.name != "converted")  # stable: the rest keep their order
    return chosen


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


def verdict(
    readout: Readout,
    primary: str | Metric,
    units: pd.DataFrame | None = None,
    variant: str = "variant",
) -> str:
    """Sentences: ship / don't ship / inconclusive, from the primary metric's results
    (intervals at the read-out's own level, 1 - alpha). Shares read in % and their
    differences in percentage points (pt).

    With several treatment arms (mutually exclusive alternatives) at most one is shipped: the
    best of those that beat control; the others that beat control are named as such. Given
    the primary ``Metric`` and the ``units``, the best two arms are also compared head to
    head (the same test, the runner-up as baseline, not corrected), so the reader sees whether
    the data can tell them apart.
    """
    name = primary if isinstance(primary, str) else primary.name
    srm, table = readout.srm, readout.table
    if srm.mismatch:
        return (
            f"Do not decide: the arms are not the sizes the design planned (sample-ratio "
            f"mismatch, p = {srm.p_value:.2g}); fix assignment or logging first."
        )
    rows = table[table["metric"] == name].sort_values("difference", ascending=False)
    if rows.empty:
        raise ParameterError(f"primary metric {name!r} is not in the results.")
    level = level_label(readout.alpha)
    winners = rows[rows["significant"] & (rows["difference"] > 0)]
    sentences = []
    for _, r in rows.iterrows():
        effect = f"{name} {_effect(r, level, readout.control)}"
        if r["significant"] and r["difference"] > 0 and r["arm"] == winners["arm"].iloc[0]:
            sentences.append(f"Ship {r['arm']}: {effect}, adjusted p = {r['p_adjusted']:.3g}.")
        elif r["significant"] and r["difference"] > 0:
            best = winners["arm"].iloc[0]
            sentences.append(
                f"{r['arm']} also beats {readout.control} but less than {best}: {effect}."
            )
        elif r["significant"]:
            sentences.append(
                f"Don't ship {r['arm']}: {effect}, adjusted p = {r['p_adjusted']:.3g}."
            )
        else:
            sentences.append(
                f"Inconclusive for {r['arm']}: {effect}; the data are consistent with no effect."
            )
    if len(rows) > 1 and units is not None and not isinstance(primary, str):
        sentences.append(_head_to_head(units, primary, rows, variant, readout.alpha, level))
    return " ".join(sentences)


def _effect(r: pd.Series, level: str, baseline: str) -> str:
    """The treatment value against the baseline, with the difference and its interval."""
    if r.get("kind") == "proportion":
        return (
            f"{r['treatment_value']:.2%} vs {r['control_value']:.2%} for {baseline} "
            f"({100 * r['difference']:+.2f} pt, {level} CI {100 * r['ci_low']:+.2f} to "
            f"{100 * r['ci_high']:+.2f} pt; relative {r['relative_lift']:+.1%})"
        )
    return (
        f"{r['treatment_value']:,.3g} vs {r['control_value']:,.3g} for {baseline} "
        f"({r['relative_lift']:+.1%}, {level} CI {r['lift_ci_low']:+.1%} to "
        f"{r['lift_ci_high']:+.1%})"
    )


def _head_to_head(units, metric: Metric, rows: pd.DataFrame, variant, alpha, level) -> str:
    best, second = rows["arm"].iloc[0], rows["arm"].iloc[1]
    pair = units[units[variant].isin([best, second])]
    with warnings.catch_warnings():  # the overall sample-ratio check already ran
        warnings.simplefilter("ignore")
        r = analyze(
            pair, [metric], variant, control=second, alpha=alpha, correction=None, unit=None
        )
    r = r.table.iloc[0]
    told = (
        f"{best} is better than {second}."
        if r["significant"] and r["difference"] > 0
        else f"the data cannot tell {best} and {second} apart."
    )
    effect = _effect(r, level, second)
    return f"Head to head, {best}: {metric.name} {effect}, p = {r['p_value']:.3g}: {told}"
