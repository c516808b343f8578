"""Accept orders, a CRMData or a ready customer summary, and return the summary."""

from __future__ import annotations

import pandas as pd

from ..data.container import CRMData
from ..data.validate import resolve_as_of
from ..errors import ParameterError
from ..features import CustomerSummary, customer_summary


def money(summary: CustomerSummary, monetary: str = "net") -> pd.Series:
    """Customer value for segmentation: "net" = paid after refunds (never below 0),
    "gross" = purchases before refunds that do not name their order."""
    column = "revenue" if monetary == "gross" else "net_revenue"
    summary.require([column], f"monetary={monetary!r}")
    values = summary.table[column]
    return values if monetary == "gross" else values.clip(lower=0)


def summary_at(orders_or_summary, as_of) -> CustomerSummary:
    """``customer_summary`` at as_of, or the given summary after checking its as_of matches."""
    if isinstance(orders_or_summary, CustomerSummary):
        summary = orders_or_summary
        if as_of is not None and resolve_as_of(as_of) != summary.as_of:
            raise ParameterError(
                f"as_of={as_of!r} differs from the summary's as_of ({summary.as_of:%Y-%m-%d}); "
                "pass orders instead, or the summary computed at this as_of."
            )
        return summary
    if isinstance(orders_or_summary, pd.DataFrame) and "frequency" in orders_or_summary:
        raise ParameterError(
            "this looks like a summary table without its as_of and time unit: pass the "
            "CustomerSummary from crmlab.features.customer_summary (or orders and as_of)."
        )
    if as_of is None:
        raise ParameterError("as_of is required when orders are passed (e.g. '2024-12-31').")
    source = orders_or_summary
    if isinstance(source, CRMData):
        source = source.orders
    summary = customer_summary(source, as_of)
    if len(summary) == 0:
        raise ParameterError(f"as_of={as_of!r} is before every order: no customer to segment.")
    return summary
