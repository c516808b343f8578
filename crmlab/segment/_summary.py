"""Accept orders, a CRMData or a ready customer summary, and return the summary."""

from __future__ import annotations

import pandas as pd

from ..data.container import CRMData
from ..data.validate import resolve_as_of
from ..errors import ParameterError
from ..features import customer_summary

_SUMMARY_COLUMNS = {"n_orders", "total_amount", "days_since_last_order", "first_order_at"}


def money(summary: pd.DataFrame, monetary: str = "net") -> pd.Series:
    """Customer value for segmentation: "net" = paid after refunds (never below 0),
    "gross" = purchases before refunds that do not name their order."""
    if monetary == "gross":
        return summary["total_amount"]
    if "net_amount" not in summary:
        raise ParameterError(
            "the summary has no net_amount column (made by an older crmlab?); recompute it "
            "with crmlab.features.customer_summary, or pass monetary='gross'."
        )
    return summary["net_amount"].clip(lower=0)


def summary_at(orders_or_summary, as_of) -> pd.DataFrame:
    """``customer_summary`` at as_of, or the given summary after checking its as_of matches."""
    is_summary = isinstance(orders_or_summary, pd.DataFrame) and set(
        orders_or_summary.columns
    ).issuperset(_SUMMARY_COLUMNS)
    if is_summary:
        declared = orders_or_summary.attrs.get("as_of")
        if as_of is not None and declared and resolve_as_of(declared) != resolve_as_of(as_of):
            raise ParameterError(
                f"as_of={as_of!r} differs from the summary's as_of ({declared}); pass orders "
                "instead, or the summary computed at this as_of."
            )
        return orders_or_summary
    if as_of is None:
        raise ParameterError("as_of is required when orders are passed (e.g. '2024-12-31').")
    source = orders_or_summary
    if isinstance(source, CRMData):
        source = source.orders
    summary = customer_summary(source, as_of)
    if summary.empty:
        raise ParameterError(f"as_of={as_of!r} is before every order: no customer to segment.")
    return summary
