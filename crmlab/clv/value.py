"""Per-customer value table and its roll-up by segment."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.privacy import DEFAULT_MIN_CELL_SIZE, suppress_small_cells
from ..units import TimeUnit
from .model import CLVModel


def value_table(
    model: CLVModel,
    horizon: int = 12,
    time_unit: TimeUnit = "M",
    annual_discount_rate: float = 0.10,
) -> pd.DataFrame:
    """One row per customer of the model's summary: p_alive, expected_purchases (in the next
    ``horizon`` ``time_unit``s), expected_spend (per purchase), clv (discounted over the same
    horizon) and clv_decile (1 = the top 10% of customers by CLV)."""
    table = pd.DataFrame(
        {
            "p_alive": model.p_alive(),
            "expected_purchases": model.expected_purchases(horizon, time_unit),
            "expected_spend": model.expected_spend(),
            "clv": model.clv(horizon, time_unit, annual_discount_rate),
        }
    )
    rank = table["clv"].rank(method="first", ascending=False)
    table["clv_decile"] = np.ceil(rank / len(table) * 10).astype(int)
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
