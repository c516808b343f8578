"""Per-customer value table and its roll-up by segment."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.privacy import DEFAULT_MIN_CELL_SIZE, suppress_small_cells
from .model import DAYS_PER_MONTH, CLVModel


def value_table(
    model: CLVModel, horizon_months: int = 12, annual_discount_rate: float = 0.10
) -> pd.DataFrame:
    """One row per customer of the model's summary: p_alive, expected_purchases (in the
    horizon), expected_spend (per purchase), clv (discounted) and clv_decile (1 = the top 10%
    of customers by CLV)."""
    horizon = horizon_months * DAYS_PER_MONTH / model.unit_days
    table = pd.DataFrame(
        {
            "p_alive": model.p_alive(),
            "expected_purchases": model.expected_purchases(horizon),
            "expected_spend": model.expected_spend(),
            "clv": model.clv(horizon_months, annual_discount_rate),
        }
    )
    rank = table["clv"].rank(method="first", ascending=False)
    table["clv_decile"] = np.ceil(rank / len(table) * 10).astype(int)
    table.attrs.update(horizon_months=horizon_months, annual_discount_rate=annual_discount_rate)
    return table


def value_by_segment(
    values: pd.DataFrame, segments: pd.Series, min_cell_size: int = DEFAULT_MIN_CELL_SIZE
) -> pd.DataFrame:
    """Per segment: customers, total and mean CLV, share of all CLV, mean P(alive);
    segments below min_cell_size are suppressed."""
    frame = values.join(segments.rename("segment"), how="inner")
    grouped = frame.groupby("segment", observed=True)
    out = pd.DataFrame(
        {
            "customers": grouped.size(),
            "clv_total": grouped["clv"].sum(),
            "clv_mean": grouped["clv"].mean(),
            "p_alive_mean": grouped["p_alive"].mean(),
        }
    )
    out.insert(3, "share_of_clv", out["clv_total"] / out["clv_total"].sum())
    return suppress_small_cells(out.reset_index(), "customers", min_cell_size)
