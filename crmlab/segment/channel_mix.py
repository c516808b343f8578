"""Channel mix of segments over time: through which channels each segment's customers buy
(or are in touch), period by period.

* Purchases are crmlab's one definition (``features.orders_view``): refunds are none, nor
  are orders refunded in full by refunds known by ``as_of``. ``source="touchpoints"``
  counts touchpoints instead (every interaction, not only purchases).
* Segments are fixed labels (e.g. RFM at ``as_of``): the mix shows how the channels of
  today's segments have shifted, not how segments were made up in the past.
* A period is a calendar bucket (``period``: "M", "Q", "Y"; None: the whole history up to
  ``as_of``), labelled by its start (UTC). A period that has not ended by as_of is
  marked ``partial``.
"""

from __future__ import annotations

import pandas as pd

from ..data.container import CRMData
from ..data.validate import resolve_as_of
from ..errors import ParameterError
from ..features.orders_view import OrdersView

PERIODS = ("M", "Q", "Y")  # pandas period codes
SOURCES = ("orders", "touchpoints")
MIX_COLUMNS = ["segment", "period", "partial", "channel", "events", "share"]


def channel_mix(
    data: CRMData,
    segments: pd.Series,
    as_of=None,
    period: str | None = "Q",
    source: str = "orders",
) -> pd.DataFrame:
    """One row per segment, period and channel: ``segment``, ``period`` (start, UTC;
    NaT with period=None), ``partial`` (the period runs past as_of), ``channel``,
    ``events`` (purchases or touchpoints) and ``share`` (of the segment's events in that
    period; shares add up to 1 per segment and period). Customers without a segment are
    left out; events without a channel count as "unknown".

    segments: segment label per customer (index customer_id), e.g. ``rfm(...)["segment"]``.
    """
    if not isinstance(segments, pd.Series) or segments.empty:
        raise ParameterError("segments must be a non-empty Series: customer_id -> segment.")
    if period is not None and period not in PERIODS:
        raise ParameterError(f"period={period!r}: use 'M', 'Q', 'Y' or None (all history).")
    if source not in SOURCES:
        raise ParameterError(f"source={source!r}: use 'orders' or 'touchpoints'.")
    as_of = resolve_as_of(data.as_of if as_of is None else as_of)
    events = _events(data, as_of, source)
    events = events[events["customer_id"].isin(segments.index)].reset_index(drop=True)
    frame = pd.DataFrame(
        {
            "segment": segments.reindex(events["customer_id"]).to_numpy(),
            "period": _period_start(events["at"], period),
            "channel": events["channel"].astype("string").fillna("unknown"),
        }
    )
    counts = frame.groupby(["segment", "period", "channel"], dropna=False, observed=True)
    out = counts.size().rename("events").reset_index()
    totals = out.groupby(["segment", "period"], dropna=False)["events"].transform("sum")
    out["share"] = out["events"] / totals
    out["partial"] = _partial(out["period"], period, as_of)
    out = out.sort_values(["segment", "period", "channel"], kind="stable")
    return out[MIX_COLUMNS].reset_index(drop=True)


def _events(data: CRMData, as_of: pd.Timestamp, source: str) -> pd.DataFrame:
    """customer_id, at, channel of the purchases or touchpoints up to as_of."""
    if source == "touchpoints":
        if data.touchpoints is None:
            raise ParameterError("this data set has no touchpoints (source='touchpoints').")
        points = data.touchpoints
        points = points[points["occurred_at"] <= as_of]
        return points[["customer_id", "occurred_at", "channel"]].rename(
            columns={"occurred_at": "at"}
        )
    if "channel" not in data.orders.columns:
        raise ParameterError("orders have no channel column: no channel mix to show.")
    with OrdersView(data.orders) as view:
        view.known_at(as_of)
        return view.frame(
            "SELECT customer_id, ordered_at AS at, channel FROM purchases "
            "WHERE ordered_at <= $as_of",
            {"as_of": as_of},
        )


def _period_start(at: pd.Series, period: str | None) -> pd.Series:
    if period is None:
        return pd.Series(pd.NaT, index=at.index, dtype="datetime64[us, UTC]")
    naive = at.dt.tz_convert("UTC").dt.tz_localize(None)
    return naive.dt.to_period(period).dt.start_time.dt.tz_localize("UTC")


def _partial(starts: pd.Series, period: str | None, as_of: pd.Timestamp) -> pd.Series:
    if period is None:
        return pd.Series(False, index=starts.index)
    naive = starts.dt.tz_localize(None)
    ends = naive.dt.to_period(period).dt.end_time.dt.tz_localize("UTC")
    return ends > as_of
