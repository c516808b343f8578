"""An experiment read-out: several metrics, every treatment arm against control, one tidy table.

Metrics are computed from per-arm sufficient statistics (n, sums, sums of squares and
cross-products), so the same code works on aggregates produced by a SQL engine.

- ``Proportion``: pooled two-proportion z-test; Wald CI for the difference.
- ``Mean``: Welch's t-test; with ``covariate`` CUPED (Deng et al. 2013): y - theta (x - mean x),
  theta = cov(x, y) / var(x) estimated on all arms pooled; the variance reduction achieved is
  reported.
- ``Ratio``: ratio of sums (e.g. orders per session) with the delta method, including the
  covariance between numerator and denominator; normal CI.
Relative lift = difference / control value; its CI uses the delta method for the ratio of
two independent means: se(T/C) = (T/C) sqrt(se_T^2/T^2 + se_C^2/C^2).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from ..data.container import CRMData
from ..errors import ParameterError
from ..features.experiment import (
    UNITS_MEMORY,
    UnitChecks,
    campaign_statistics,
    checked_statistics,
)
from ..intervals import check_alpha, z_value
from .sequential import DEFAULT_TUNING, always_valid, check_tuning
from .srm import SRMResult, srm
from .tests import adjust_pvalues, proportion_test, welch_test


@dataclass(frozen=True)
class Proportion:
    """Share of units with a true / 1 value in ``column`` (e.g. converted).
    label: the metric's name in results (default: the column)."""

    column: str
    label: str | None = None

    @property
    def name(self) -> str:
        return self.label or self.column


@dataclass(frozen=True)
class Mean:
    """Mean of ``column`` per unit; ``covariate`` (a pre-period value) turns on CUPED.
    label: the metric's name in results (default: the column, with "(CUPED on x)" when
    adjusted, so the plain and the adjusted mean of one column can be read side by side)."""

    column: str
    covariate: str | None = None
    label: str | None = None

    @property
    def name(self) -> str:
        if self.label:
            return self.label
        return f"{self.column} (CUPED on {self.covariate})" if self.covariate else self.column


@dataclass(frozen=True)
class Ratio:
    """sum(numerator) / sum(denominator) over units, e.g. orders per session.
    label: the metric's name in results (default: "<numerator> per <denominator>")."""

    numerator: str
    denominator: str
    label: str | None = None

    @property
    def name(self) -> str:
        return self.label or f"{self.numerator} per {self.denominator}"


Metric = Proportion | Mean | Ratio


def metric_kind(metric: Metric) -> str:
    """ "proportion", "mean" or "ratio": how a metric's values read (shares print as %)."""
    return {Proportion: "proportion", Mean: "mean", Ratio: "ratio"}[type(metric)]


@dataclass(frozen=True)
class Readout:
    """An experiment read-out. table: one row per metric x treatment arm (see ``analyze``).
    srm: the sample-ratio check of the arm sizes (if it failed, no number is trustworthy).
    alpha, correction, control: as analysed. tuning: the always-valid test's tuning when
    analysed with ``sequential=True`` (None: fixed-horizon intervals)."""

    table: pd.DataFrame
    srm: SRMResult
    alpha: float
    correction: str | None
    control: str
    tuning: float | None = None


def _moments(s: dict, a: str, b: str | None = None) -> tuple[float, float]:
    """Mean of a and (sample) covariance of a with b from sufficient statistics."""
    b = b or a
    n = s["n"]
    mean_a, mean_b = s[f"s_{a}"] / n, s[f"s_{b}"] / n
    key = f"s_{a}*{b}" if f"s_{a}*{b}" in s else f"s_{b}*{a}"
    return mean_a, (s[key] - n * mean_a * mean_b) / (n - 1)


def _relative(t: float, c: float, se_t: float, se_c: float, q: float) -> dict:
    """Relative lift t / c - 1, its delta-method standard error and normal interval."""
    if c == 0:
        return {"relative_lift": np.nan, "lift_ci_low": np.nan, "lift_ci_high": np.nan,
                "lift_se": np.nan}  # fmt: skip
    ratio = t / c
    se = abs(ratio) * np.sqrt((se_t / t) ** 2 + (se_c / c) ** 2) if t != 0 else abs(se_t / c)
    return {"relative_lift": ratio - 1, "lift_ci_low": ratio - 1 - q * se,
            "lift_ci_high": ratio - 1 + q * se, "lift_se": se}  # fmt: skip


def _compare(metric: Metric, c: dict, t: dict, pooled: dict, alpha: float) -> dict:
    q = z_value(alpha)
    if isinstance(metric, Proportion):
        col = metric.column
        res = proportion_test(c[f"s_{col}"], c["n"], t[f"s_{col}"], t["n"], alpha)
        se_c = np.sqrt(res.p_control * (1 - res.p_control) / c["n"])
        se_t = np.sqrt(res.p_treatment * (1 - res.p_treatment) / t["n"])
        return {
            "method": "two-proportion z-test (Wald CI)",
            "control_value": res.p_control,
            "treatment_value": res.p_treatment,
            "difference": res.difference,
            "ci_low": res.ci_low,
            "ci_high": res.ci_high,
            "p_value": res.p_value,
            **_relative(res.p_treatment, res.p_control, se_t, se_c, q),
            "variance_reduction": np.nan,
            "se": np.hypot(se_c, se_t),
        }
    if isinstance(metric, Mean):
        y, x = metric.column, metric.covariate
        mc, vc = _moments(c, y)
        mt, vt = _moments(t, y)
        reduction, method = np.nan, "Welch t-test"
        if x is not None:
            _, var_x = _moments(pooled, x)
            _, cov_xy = _moments(pooled, x, y)
            theta = cov_xy / var_x if var_x > 0 else 0.0
            mean_x = pooled[f"s_{x}"] / pooled["n"]
            adjusted = []
            for s in (c, t):
                m, v = _moments(s, y)
                mx, vx = _moments(s, x)
                _, cxy = _moments(s, x, y)
                adjusted.append((m - theta * (mx - mean_x), v - 2 * theta * cxy + theta**2 * vx))
            (mc, vc_adj), (mt, vt_adj) = adjusted
            reduction = 1 - (vc_adj + vt_adj) / (vc + vt) if vc + vt > 0 else np.nan
            vc, vt, method = vc_adj, vt_adj, f"Welch t-test with CUPED on {x}"
        res = welch_test(c["n"], mc, vc, t["n"], mt, vt, alpha)
        se_t, se_c = np.sqrt(vt / t["n"]), np.sqrt(vc / c["n"])
        return {
            "method": method,
            "control_value": mc,
            "treatment_value": mt,
            "difference": res.difference,
            "ci_low": res.ci_low,
            "ci_high": res.ci_high,
            "p_value": res.p_value,
            **_relative(mt, mc, se_t, se_c, q),
            "variance_reduction": reduction,
            "se": np.hypot(se_c, se_t),
        }
    num, den = metric.numerator, metric.denominator
    values, ses = [], []
    for s in (c, t):
        if s[f"s_{den}"] == 0:
            raise ParameterError(
                f"{den} sums to 0 in an arm: the ratio {metric.name} is undefined."
            )
        mn, vn = _moments(s, num)
        md, vd = _moments(s, den)
        _, cnd = _moments(s, num, den)
        r = mn / md
        var = (vn - 2 * r * cnd + r**2 * vd) / (md**2 * s["n"])  # delta method
        values.append(r)
        ses.append(np.sqrt(max(var, 0.0)))
    diff = values[1] - values[0]
    se = np.hypot(*ses)
    p = 2 * stats.norm.sf(abs(diff / se)) if se > 0 else 1.0
    return {
        "method": "ratio, delta method (normal CI)",
        "control_value": values[0],
        "treatment_value": values[1],
        "difference": diff,
        "ci_low": diff - q * se,
        "ci_high": diff + q * se,
        "p_value": p,
        **_relative(values[1], values[0], ses[1], ses[0], q),
        "variance_reduction": np.nan,
        "se": se,
    }


def _columns(metric: Metric) -> list[str]:
    if isinstance(metric, Proportion):
        return [metric.column]
    if isinstance(metric, Mean):
        return [metric.column] + ([metric.covariate] if metric.covariate else [])
    return [metric.numerator, metric.denominator]


def analyze(
    units: pd.DataFrame,
    metrics: list[Metric],
    variant: str = "variant",
    control: str = "control",
    alpha: float = 0.05,
    correction: Literal["holm", "bh"] | None = "holm",
    expected_shares: dict[str, float] | None = None,
    unit: str | None = "customer_id",
    engine=None,
    sequential: bool = False,
    tuning: float = DEFAULT_TUNING,
) -> Readout:
    """Every metric, every treatment arm against ``control`` (see the module docstring).

    units: one row per unit (customer) with the variant column and metric columns: a
        pandas DataFrame, or with a Spark engine a Spark DataFrame (units stay on the
        cluster; only per-arm sums come back).
    metrics: Proportion / Mean / Ratio objects with distinct names (``label=`` renames).
    expected_shares: designed share per arm for the SRM check (default: equal).
    unit: the unit id column, checked for units in two arms (None, or absent, to skip).
    engine: where the counting runs (None: embedded DuckDB; a SparkSession or Spark Connect
        address: Spark; see ``crmlab.engines``).
    sequential: always-valid intervals and p-values (mixture SPRT, ``experiment.sequential``)
        in place of fixed-horizon ones, for a test read more than once. Differences and
        lifts use normal standard errors; ``tuning`` is the planned total number of units.
    Returns a ``Readout``: its table has metric, kind ("proportion", "mean", "ratio"), arm,
    n_control, n_treatment, method, control_value, treatment_value, difference, ci_low,
    ci_high (level 1 - alpha), relative_lift, lift_ci_low, lift_ci_high, p_value,
    p_adjusted, significant (and CUPED details for adjusted means).
    An SRM mismatch also raises a warning, because every number is then suspect.
    """
    check_alpha(alpha)
    if sequential:
        check_tuning(tuning)  # fails before the data are read
    present = list(units.columns)
    if variant not in present:
        raise ParameterError(f"variant column {variant!r} is not in the units table.")
    needed = _needed_columns(metrics)
    missing = [c for c in needed if c not in present]
    if missing:
        raise ParameterError(f"metric column(s) {missing} are not in the units table.")
    unit = unit if unit in present else None
    # one pass of the engine: the checks, and the per-arm sums used once they pass
    checks, table_stats = checked_statistics(units, variant, needed, unit, engine)
    return _read_out(
        checks, table_stats, metrics, control, alpha, correction, expected_shares,
        tuning if sequential else None,
    )  # fmt: skip


def analyze_campaign(
    data: CRMData,
    campaign_id: str,
    metrics: list[Metric],
    window_days: float = 14,
    pre_days: float = 90,
    control: str = "control",
    alpha: float = 0.05,
    correction: Literal["holm", "bh"] | None = "holm",
    expected_shares: dict[str, float] | None = None,
    engine=None,
    sequential: bool = False,
    tuning: float = DEFAULT_TUNING,
    memory_limit: str | None = UNITS_MEMORY,
) -> Readout:
    """``analyze(experiment_units(data, campaign_id, window_days, pre_days), metrics, ...)``
    without the per-unit table in pandas: the units are built and summed in the SQL engine
    (``features.campaign_statistics``), so ten million units read out in the memory of a
    few sums. Same arguments and result as the two calls; the units' variant column is
    "variant" and their id "customer_id". memory_limit: the embedded DuckDB's working
    memory (``features.campaign_statistics``)."""
    check_alpha(alpha)
    if sequential:
        check_tuning(tuning)
    needed = _needed_columns(metrics)
    checks, table_stats = campaign_statistics(
        data, campaign_id, needed, window_days, pre_days, engine, memory_limit
    )
    return _read_out(
        checks, table_stats, metrics, control, alpha, correction, expected_shares,
        tuning if sequential else None,
    )  # fmt: skip


def _needed_columns(metrics: list[Metric]) -> list[str]:
    """The unit columns the metrics read (sorted); ParameterError for no or repeated names."""
    if not metrics:
        raise ParameterError("metrics is empty: give at least one Proportion, Mean or Ratio.")
    names = [m.name for m in metrics]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ParameterError(
            f"metric name(s) {repeated} are used twice; give each metric its own label=."
        )
    return sorted({col for m in metrics for col in _columns(m)})


def _read_out(
    checks: UnitChecks,
    table_stats: pd.DataFrame,
    metrics: list[Metric],
    control: str,
    alpha: float,
    correction,
    expected_shares: dict[str, float] | None,
    tuning: float | None,
) -> Readout:
    """The read-out from the engine's checks and per-arm sums (``tuning``: None for
    fixed-horizon intervals, else always-valid ones with that tuning)."""
    if checks.repeated is not None:
        raise ParameterError(f"unit {checks.repeated!r} appears more than once (e.g. in two arms).")
    arms = list(checks.arms)
    if control not in arms:
        raise ParameterError(f"control={control!r} is not an arm; arms are {sorted(arms)}.")
    if len(arms) < 2:
        raise ParameterError(f"only one arm ({control!r}): nothing to compare.")
    if checks.missing:
        raise ParameterError(
            f"metric columns have missing values: {checks.missing}; "
            "fill them (e.g. 0 orders) or drop those units explicitly."
        )
    shares = None if expected_shares is None else [expected_shares[a] for a in arms]
    check = srm(np.array(list(checks.arms.values())), shares)
    if check.mismatch:
        warnings.warn(
            f"sample-ratio mismatch: arm sizes {checks.arms} (p = {check.p_value:.2g}); "
            "assignment or logging is broken, do not trust these results.",
            stacklevel=3,
        )
    # Aggregated by the SQL engine: from here on only a few numbers per arm move around.
    per_arm = {arm: table_stats.loc[arm].to_dict() for arm in arms}
    pooled = table_stats.sum().to_dict()
    rows = []
    for metric in metrics:
        for arm in arms:
            if arm == control:
                continue
            row = {
                "metric": metric.name,
                "kind": metric_kind(metric),
                "arm": arm,
                "n_control": int(per_arm[control]["n"]),
                "n_treatment": int(per_arm[arm]["n"]),
            }
            row.update(_compare(metric, per_arm[control], per_arm[arm], pooled, alpha))
            rows.append(row)
    table = pd.DataFrame(rows)
    if tuning is not None:
        _always_valid(table, alpha, tuning)
    table = table.drop(columns=["se", "lift_se"])
    table["p_adjusted"], table["significant"] = adjust_pvalues(table["p_value"], correction, alpha)
    return Readout(table, check, alpha, correction, control, tuning)


def _always_valid(table: pd.DataFrame, alpha: float, tuning: float) -> None:
    """Replace the fixed-horizon intervals and p-values by always-valid ones (in place)."""
    n = table["n_control"] + table["n_treatment"]
    low, high, p = always_valid(table["difference"], table["se"], n, alpha, tuning)
    table["ci_low"], table["ci_high"], table["p_value"] = low, high, p
    lift_low, lift_high, _ = always_valid(
        table["relative_lift"], table["lift_se"], n, alpha, tuning
    )
    table["lift_ci_low"], table["lift_ci_high"] = lift_low, lift_high
    table["method"] = table["method"] + f", always valid (mixture SPRT, tuning {tuning:,.0f})"
