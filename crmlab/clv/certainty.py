"""Where the posterior's spread changes a decision: who is surely among the most valuable
customers, and how sure the segments' totals are.

Both work on the CLV draws of a ``BayesCLVModel`` (one row per posterior draw, one column
per customer). A customer's chance of being in the top share is the share of draws in
which their CLV clears that draw's own top-share cut: parameters shift everyone together,
so what matters for a ranking is whether a customer's place moves, not whether their value
does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.privacy import DEFAULT_MIN_CELL_SIZE, suppress_small_cells
from ..errors import ParameterError
from ..intervals import check_alpha
from ..units import TimeUnit
from .bayes_model import BayesCLVModel

VERDICTS = ("surely in", "uncertain", "surely out")


def _bayes(model) -> BayesCLVModel:
    if not isinstance(model, BayesCLVModel):
        raise ParameterError(
            "this needs posterior draws: fit the model with clv.fit(..., method='bayes')."
        )
    return model


def top_share_certainty(
    model: BayesCLVModel,
    top_share: float = 0.1,
    sure: float = 0.9,
    horizon: int = 12,
    time_unit: TimeUnit = "M",
    annual_discount_rate: float = 0.10,
    alpha: float = 0.1,
) -> pd.DataFrame:
    """Per customer: clv (posterior mean) with clv_ci_low / clv_ci_high (credible level
    1 - alpha), p_top (share of draws in which the customer is in the top ``top_share`` by
    CLV), top_by_mean (in the top share by posterior mean CLV: the point ranking's choice)
    and verdict: "surely in" when p_top >= sure, "surely out" when p_top <= 1 - sure,
    else "uncertain". Sorted by clv, highest first."""
    model = _bayes(model)
    check_alpha(alpha)
    if not 0 < top_share < 1:
        raise ParameterError(f"top_share={top_share!r}: give a share in (0, 1), e.g. 0.1.")
    if not 0.5 < sure < 1:
        raise ParameterError(f"sure={sure!r}: give a probability in (0.5, 1), e.g. 0.9.")
    draws = model.clv_draws(horizon, time_unit, annual_discount_rate)
    cut_per_draw = np.quantile(draws, 1 - top_share, axis=1)
    p_top = (draws >= cut_per_draw[:, None]).mean(axis=0)
    mean = draws.mean(axis=0)
    low, high = np.quantile(draws, [alpha / 2, 1 - alpha / 2], axis=0)
    out = pd.DataFrame(
        {"clv": mean, "clv_ci_low": low, "clv_ci_high": high, "p_top": p_top},
        index=model.summary.table.index,
    )
    out["top_by_mean"] = out["clv"] >= np.quantile(mean, 1 - top_share)
    out_for_sure = round(1 - sure, 12)  # 1 - 0.9 is 0.09999999999999998 in floating point
    out["verdict"] = np.select(
        [p_top >= sure, p_top <= out_for_sure], [VERDICTS[0], VERDICTS[2]], VERDICTS[1]
    )
    return out.sort_values("clv", ascending=False, kind="stable")


def certainty_counts(certainty: pd.DataFrame) -> pd.DataFrame:
    """How the point ranking's top share splits by verdict: rows "in the top share by mean"
    and "not", columns the verdicts, values numbers of customers."""
    table = pd.crosstab(
        certainty["top_by_mean"].map({True: "in the top share by mean", False: "not"}),
        pd.Categorical(certainty["verdict"], categories=VERDICTS),
        dropna=False,
    )
    table.index.name, table.columns.name = "point ranking", "posterior verdict"
    return table.reindex(["in the top share by mean", "not"], fill_value=0)


def segment_intervals(
    model: BayesCLVModel,
    segments: pd.Series,
    horizon: int = 12,
    time_unit: TimeUnit = "M",
    annual_discount_rate: float = 0.10,
    alpha: float = 0.1,
    min_cell_size: int = DEFAULT_MIN_CELL_SIZE,
) -> pd.DataFrame:
    """Per segment (``segments``: a label per customer id): customers, clv_total (posterior
    mean) with clv_total_ci_low / clv_total_ci_high (credible level 1 - alpha) and
    share_of_clv with share_of_clv_ci_low / _ci_high; segments below min_cell_size are
    suppressed. Customers without a
    segment are left out of every total."""
    model = _bayes(model)
    check_alpha(alpha)
    draws = model.clv_draws(horizon, time_unit, annual_discount_rate)
    labels = segments.reindex(model.summary.table.index)
    rows = []
    grand = draws[:, labels.notna().to_numpy()].sum(axis=1)
    for segment in pd.unique(labels.dropna()):
        mask = (labels == segment).to_numpy()
        total = draws[:, mask].sum(axis=1)
        share = total / grand
        rows.append(
            {
                "segment": segment,
                "customers": int(mask.sum()),
                "clv_total": total.mean(),
                "clv_total_ci_low": np.quantile(total, alpha / 2),
                "clv_total_ci_high": np.quantile(total, 1 - alpha / 2),
                "share_of_clv": share.mean(),
                "share_of_clv_ci_low": np.quantile(share, alpha / 2),
                "share_of_clv_ci_high": np.quantile(share, 1 - alpha / 2),
            }
        )
    out = pd.DataFrame(rows).sort_values("clv_total", ascending=False, ignore_index=True)
    return suppress_small_cells(out, "customers", min_cell_size)
