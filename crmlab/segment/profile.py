"""Segment profiles: who is in each segment, what they are worth, how they behave."""

from __future__ import annotations

import pandas as pd

from ..data.container import CRMData
from ..data.privacy import DEFAULT_MIN_CELL_SIZE, suppress_small_cells
from ..data.validate import resolve_as_of
from ..errors import ParameterError
from ..features import customer_summary
from ._summary import money
from .channel_mix import channel_mix


def profile(
    segments: pd.Series,
    data: CRMData,
    as_of,
    min_cell_size: int = DEFAULT_MIN_CELL_SIZE,
) -> pd.DataFrame:
    """One row per segment, computed from the data at as_of.

    segments: segment label per customer (index customer_id), e.g. ``rfm(...)["segment"]``.
    Columns: customers, share_customers, revenue, share_revenue, mean and median of
    recency_days / n_orders / revenue (net of refunds), aov (revenue per order),
    orders_per_customer,
    channel_<name> (share of the segment's orders per channel, where orders have channels),
    last_nps (mean of each customer's latest NPS, where surveys exist), tickets_per_customer
    (tickets in the 365 days before as_of, where tickets exist). Segments with fewer than
    min_cell_size customers are suppressed (numbers blanked, ``suppressed`` True).
    """
    if not isinstance(segments, pd.Series) or segments.empty:
        raise ParameterError("segments must be a non-empty Series: customer_id -> segment.")
    as_of = resolve_as_of(as_of)
    summary = customer_summary(data.orders, as_of)
    table = summary.table.reindex(segments.index)
    unknown = table["n_orders"].isna()
    if unknown.any():
        raise ParameterError(
            f"{int(unknown.sum())} customer(s) in segments have no order at as_of "
            f"(e.g. {segments.index[unknown][0]})."
        )
    frame = pd.DataFrame(
        {
            "segment": segments,
            "recency_days": table["days_since_last_order"],
            "n_orders": table["n_orders"],
            "revenue": money(summary).reindex(segments.index),
        }
    )
    grouped = frame.groupby("segment", observed=True, sort=True)
    out = pd.DataFrame({"customers": grouped.size()})
    out["share_customers"] = out["customers"] / out["customers"].sum()
    totals = grouped["revenue"].sum()
    for col in ("recency_days", "n_orders", "revenue"):
        out[f"{col}_mean"] = grouped[col].mean()
        out[f"{col}_median"] = grouped[col].median()
    out.insert(2, "revenue", totals)
    out.insert(3, "share_revenue", totals / totals.sum())
    out["aov"] = out["revenue"] / grouped["n_orders"].sum()
    out["orders_per_customer"] = grouped["n_orders"].mean()
    out = out.join(_channel_mix(data, frame["segment"], as_of))
    if data.surveys is not None:
        out = out.join(_last_nps(data.surveys, frame["segment"], as_of))
    if data.tickets is not None:
        out = out.join(_ticket_rate(data.tickets, frame["segment"], as_of, out["customers"]))
    out = out.reset_index()
    return suppress_small_cells(out, "customers", min_cell_size, keep=())


def _channel_mix(data: CRMData, segment: pd.Series, as_of) -> pd.DataFrame:
    """Share of each segment's purchases per channel (``channel_<name>`` columns)."""
    if "channel" not in data.orders:
        return pd.DataFrame(index=segment.unique())
    mix = channel_mix(data, segment, as_of, period=None)
    shares = mix.pivot_table(index="segment", columns="channel", values="share", fill_value=0.0)
    shares.columns = [f"channel_{c}" for c in shares.columns]
    return shares


def _last_nps(surveys: pd.DataFrame, segment: pd.Series, as_of) -> pd.DataFrame:
    seen = surveys[(surveys["answered_at"] <= as_of) & surveys["customer_id"].isin(segment.index)]
    latest = seen.sort_values("answered_at").groupby("customer_id")["nps"].last()
    return latest.astype(float).groupby(segment.reindex(latest.index)).mean().to_frame("last_nps")


def _ticket_rate(tickets: pd.DataFrame, segment: pd.Series, as_of, customers) -> pd.DataFrame:
    window = (tickets["opened_at"] <= as_of) & (
        tickets["opened_at"] > as_of - pd.Timedelta(days=365)
    )
    recent = tickets[window & tickets["customer_id"].isin(segment.index)]
    per_segment = segment.reindex(recent["customer_id"]).value_counts()
    return (per_segment.reindex(customers.index, fill_value=0) / customers).to_frame(
        "tickets_per_customer"
    )
