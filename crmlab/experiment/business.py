"""Campaign economics and heterogeneous effects: ROI with a CI, break-even lift, segments."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .analyze import Mean, Metric, analyze
from .tests import adjust_pvalues


def roi(
    units: pd.DataFrame,
    cost_per_contact: float,
    fixed_cost: float = 0.0,
    value: str = "revenue",
    covariate: str | None = None,
    variant: str = "variant",
    control: str = "control",
    treatment: str = "treatment",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Return on a campaign's cost, from the incremental value per treated unit.

    incremental value per treated unit = mean(value | treatment) - mean(value | control)
    (Welch CI; CUPED when ``covariate`` is given); total = that x treated units; cost =
    cost_per_contact x treated units + fixed_cost; ROI = (total - cost) / cost. The CIs of
    total and ROI follow from the CI of the difference (both are linear in it). Break-even:
    the incremental value per treated unit that pays the cost, also as a lift on control.
    Returns one row per quantity: quantity, estimate, ci_low, ci_high.
    """
    if cost_per_contact < 0 or fixed_cost < 0:
        raise ParameterError("costs must be >= 0.")
    arm = units[units[variant].isin([control, treatment])]
    table = analyze(
        arm,
        [Mean(value, covariate=covariate)],
        variant=variant,
        control=control,
        alpha=alpha,
        correction=None,
        unit=None,
    ).table
    row = table[table["arm"] == treatment]
    if row.empty:
        raise ParameterError(f"treatment={treatment!r} is not an arm of the experiment.")
    row = row.iloc[0]
    n = int(row["n_treatment"])
    cost = cost_per_contact * n + fixed_cost
    if cost == 0:
        raise ParameterError("the campaign cost nothing (0 per contact, 0 fixed): ROI undefined.")
    per_unit = np.array([row["difference"], row["ci_low"], row["ci_high"]])
    total = per_unit * n
    break_even = cost / n
    rows = [
        ("incremental value per treated unit", *per_unit),
        ("treated units", n, np.nan, np.nan),
        ("incremental value, total", *total),
        ("campaign cost", cost, np.nan, np.nan),
        ("ROI (net return per unit of cost)", *((total - cost) / cost)),
        ("break-even value per treated unit", break_even, np.nan, np.nan),
        (
            "break-even lift on control",
            break_even / row["control_value"] if row["control_value"] else np.nan,
            np.nan,
            np.nan,
        ),
    ]
    return pd.DataFrame(rows, columns=["quantity", "estimate", "ci_low", "ci_high"])


def by_segment(
    units: pd.DataFrame,
    segments: pd.Series | str,
    metrics: list[Metric],
    variant: str = "variant",
    control: str = "control",
    alpha: float = 0.05,
    correction: str | None = "holm",
    min_cell_size: int = 100,
    unit: str = "customer_id",
) -> pd.DataFrame:
    """The same analysis within each segment, corrected across all segments x metrics x arms.

    segments: a column of ``units`` by name (missing labels become "unknown"), or a segment
        label per unit id (index = ``unit`` values, e.g. a customers column). Segments where
        an arm has fewer than min_cell_size units are listed with ``too_small`` True and no
        numbers.
    """
    if isinstance(segments, str):
        if segments not in units:
            raise ParameterError(
                f"segment column {segments!r} is not in the units table; columns: "
                f"{list(units.columns)}."
            )
        labelled = units.assign(
            segment=units[segments].astype("str").where(units[segments].notna(), "unknown")
        )
    elif unit not in units:
        raise ParameterError(
            f"the units table has no {unit!r} column to look segments up by; pass the name "
            "of a segment column of the units table instead."
        )
    else:
        labelled = units.assign(segment=units[unit].map(segments))
    if labelled["segment"].isna().any():
        raise ParameterError(
            f"{int(labelled['segment'].isna().sum())} unit(s) have no segment; give every "
            "unit a label (e.g. 'unknown')."
        )
    parts, small = [], []
    for label, part in labelled.groupby("segment", observed=True, sort=True):
        sizes = part[variant].value_counts()
        if control not in sizes or sizes.min() < min_cell_size or len(sizes) < 2:
            small.append({"segment": label, "too_small": True})
            continue
        with warnings.catch_warnings():  # segment-level SRM is noise; the overall check counts
            warnings.simplefilter("ignore")
            table = analyze(
                part,
                metrics,
                variant=variant,
                control=control,
                alpha=alpha,
                correction=None,
                unit=unit,
            ).table
        parts.append(table.assign(segment=label, too_small=False))
    if not parts:  # nothing to analyse: every segment is listed as too small
        return pd.DataFrame(small, columns=["segment", "too_small"])
    result = pd.concat(parts, ignore_index=True)
    result["p_adjusted"], result["significant"] = adjust_pvalues(
        result["p_value"], correction, alpha
    )
    result = pd.concat([result, pd.DataFrame(small)], ignore_index=True)
    return result[["segment", *[c for c in result.columns if c != "segment"]]]
