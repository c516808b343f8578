"""Customer journeys: the touchpoints that led to each purchase, and the runs of touchpoints
that led to none, built in SQL.

Definitions (``lookback_days`` L, ``session_gap_minutes`` G):

* **Touches.** Touchpoints up to ``as_of``. Consecutive touchpoints of one customer on the
  same channel less than G minutes apart are one touch (a visit of ten page views is one
  web touch).
* **Conversions** (``conversion="purchase"``). Purchases up to ``as_of``: crmlab's one definition
  (``features.orders_view``): refunds are not conversions, and an order refunded in full
  by a refund known by ``as_of`` is none either; a partly refunded order's value is net.
  ``conversion="first_purchase"`` (acquisition): only each customer's first purchase
  converts, and touches after it are left out (the customer has been won).
* **Converting journey.** A touch belongs to the first conversion of its customer at or
  after it, if that conversion comes within L days; the journey of a conversion is its
  touches in time order. A conversion without touches is *direct*: counted, not a path.
* **Non-converting journey.** Touches that belong to no conversion, cut where two of them
  are more than L days apart. It has ended without a conversion when L days have passed
  after its last touch by ``as_of``; younger ones are *open* (they may still convert):
  counted and left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..data.container import CRMData
from ..data.validate import resolve_as_of
from ..engines import is_embedded
from ..errors import ParameterError, whole_number
from .orders_view import OrdersView

CONVERSIONS = ("purchase", "first_purchase")
SEPARATOR = " > "  # between the channels of a path, as markov_attribution and path_flow read it


def split_path(path: str) -> list[str]:
    """The channels of a path ("A > B"), first touch first."""
    return [c.strip() for c in str(path).split(SEPARATOR)]


@dataclass(frozen=True)
class Journeys:
    """Journeys as of a date.

    table: one row per journey: journey_id, customer_id, converted, order_id (the
        conversion; empty without one), value (the order's amount net of known refunds;
        0 without one), first_purchase (the conversion is the customer's first purchase),
        started_at, ended_at (the conversion, or the last touch), touches, path (channels
        joined by " > ", first touch first), hours_to_conversion (first touch to the
        conversion; empty without one).
    touches: one row per touch: journey_id, position (1 = first), channel, occurred_at.
    direct: conversions without any touch in the lookback. open: non-converting journeys
        whose lookback has not ended by as_of (left out).
    """

    table: pd.DataFrame
    touches: pd.DataFrame
    direct: int
    open: int
    as_of: pd.Timestamp
    lookback_days: int
    conversion: str = "purchase"

    def paths(self) -> pd.DataFrame:
        """One row per distinct path: path, conversions, non_conversions, value, journeys;
        most journeys first (the input of ``journeys.markov_attribution``)."""
        grouped = self.table.groupby("path", sort=False).agg(
            conversions=("converted", "sum"),
            journeys=("converted", "size"),
            value=("value", "sum"),
        )
        grouped["non_conversions"] = grouped["journeys"] - grouped["conversions"]
        grouped = grouped.reset_index().sort_values(
            ["journeys", "path"], ascending=[False, True], kind="stable"
        )
        columns = ["path", "conversions", "non_conversions", "value", "journeys"]
        return grouped[columns].astype({"conversions": "int64", "non_conversions": "int64"})

    def coalitions(self) -> pd.DataFrame:
        """One row per set of channels a journey used (order and repeats aside):
        channels (a frozenset), journeys, conversions, rate (conversions / journeys); the
        input of ``journeys.shapley_attribution`` as ``dict(zip(channels, rate))``."""
        sets = self.table["path"].map(lambda p: frozenset(split_path(p)))
        grouped = self.table.assign(channels=sets).groupby("channels", sort=False)
        out = grouped.agg(journeys=("converted", "size"), conversions=("converted", "sum"))
        out = out.reset_index()
        out["rate"] = out["conversions"] / out["journeys"]
        return out.sort_values("journeys", ascending=False, kind="stable").reset_index(drop=True)


def journeys(
    data: CRMData,
    as_of=None,
    lookback_days: int = 30,
    session_gap_minutes: int = 30,
    engine=None,
    conversion: str = "purchase",
) -> Journeys:
    """Journeys from ``touchpoints`` and ``orders`` (see the module docstring).

    conversion: "purchase" (every purchase converts) or "first_purchase" (acquisition:
    the first purchase converts; touches after it are left out).
    engine: the embedded DuckDB only, for now (None); the Spark translation of this SQL is
    not tested yet.
    """
    if not is_embedded(engine):
        raise ParameterError(
            "journeys run on the embedded DuckDB engine only for now (engine=None); "
            "Spark support is planned (docs/journeys.md)."
        )
    if conversion not in CONVERSIONS:
        raise ParameterError(
            f"conversion={conversion!r}: use 'purchase' (every purchase) or 'first_purchase' "
            "(acquisition)."
        )
    whole_number("lookback_days", lookback_days, of="days")
    whole_number("session_gap_minutes", session_gap_minutes, low=0, of="minutes")
    if data.touchpoints is None or len(data.touchpoints) == 0:
        raise ParameterError("this data set has no touchpoints: journeys need them.")
    _check_channels(data.touchpoints["channel"])
    as_of = resolve_as_of(data.as_of if as_of is None else as_of)
    if "order_id" not in data.orders.columns:
        raise ParameterError("orders have no order_id: journeys name the order they led to.")
    with OrdersView(data.orders, engine) as view:
        view.known_at(as_of)  # a refund known by as_of undoes its order's conversion
        sql = view.engine
        sql.register("touch_source", data.touchpoints[["customer_id", "occurred_at", "channel"]])
        params = {"as_of": as_of}
        events = _events_sql(lookback_days, session_gap_minutes, conversion == "first_purchase")
        sql.create_table("journey_events", events, params)
        touches = sql.frame(
            "SELECT journey_id, position, channel, occurred_at FROM journey_events "
            "WHERE NOT is_conversion AND keep ORDER BY journey_id, position"
        )
        table = sql.frame(_journeys_sql())
        counts = sql.frame(
            "SELECT count(*) FILTER (WHERE is_conversion AND touches_before = 0) AS direct, "
            "count(DISTINCT journey_id) FILTER (WHERE NOT keep) AS open FROM journey_events"
        ).iloc[0]
    table = table.astype({"converted": bool, "first_purchase": bool})
    direct, still_open = int(counts["direct"]), int(counts["open"])
    return Journeys(table, touches, direct, still_open, as_of, lookback_days, conversion)


def _check_channels(channels: pd.Series) -> None:
    """Channel names must not hold the path separator: a path could not be read back."""
    names = pd.Series(channels.dropna().unique()).astype(str)
    clash = names[names.str.contains(SEPARATOR, regex=False)]
    if len(clash):
        raise ParameterError(
            f"touchpoints.channel: {len(clash)} channel name(s) contain {SEPARATOR!r}, which "
            f"separates the channels of a path, e.g. {clash.head(3).tolist()}; rename them "
            "(an import spec's values: can)."
        )


def _events_sql(lookback_days: int, gap_minutes: int, first_only: bool) -> str:
    """Touches (sessions collapsed) and conversions with a journey id each; ``first_only``:
    the first purchase alone converts, and later touches are left out."""
    lookback = f"INTERVAL {int(lookback_days)} DAY"
    joined, won = "", ""
    if first_only:  # touches up to the first purchase
        joined = "LEFT JOIN won w ON w.customer_id = r.customer_id"
        won = "AND (w.at IS NULL OR r.occurred_at <= w.at)"
    return f"""
    WITH purchase AS (  -- purchases (orders_view): refunds and orders refunded in full are not
        SELECT customer_id, ordered_at AS occurred_at, order_id, amount,
               row_number() OVER (PARTITION BY customer_id ORDER BY ordered_at, order_id) = 1
                   AS first_purchase
        FROM purchases WHERE ordered_at <= $as_of),
    conversion AS (SELECT * FROM purchase {"WHERE first_purchase" if first_only else ""}),
    won AS (SELECT customer_id, occurred_at AS at FROM purchase WHERE first_purchase),
    raw AS (
        SELECT customer_id, occurred_at, channel,
               lag(channel) OVER w AS previous_channel, lag(occurred_at) OVER w AS previous_at
        FROM touch_source WHERE occurred_at <= $as_of
        WINDOW w AS (PARTITION BY customer_id ORDER BY occurred_at, channel)),
    touch AS (  -- one touch per run on a channel with gaps under the session gap
        SELECT r.customer_id, r.occurred_at, r.channel
        FROM raw r {joined}
        WHERE (r.previous_channel IS NULL OR r.previous_channel <> r.channel
               OR r.occurred_at - r.previous_at >= INTERVAL {int(gap_minutes)} MINUTE) {won}),
    events AS (
        SELECT customer_id, occurred_at, channel, NULL AS order_id, 0.0 AS amount,
               false AS first_purchase, false AS is_conversion FROM touch
        UNION ALL
        SELECT customer_id, occurred_at, NULL, order_id, amount, first_purchase, true
        FROM conversion),
    nexted AS (  -- the first conversion at or after each event (touches before it on ties)
        SELECT *,
               first_value(CASE WHEN is_conversion THEN occurred_at END IGNORE NULLS) OVER n
                   AS next_at,
               first_value(order_id IGNORE NULLS) OVER n AS next_order
        FROM events
        WINDOW n AS (PARTITION BY customer_id ORDER BY occurred_at, is_conversion
                     ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING)),
    assigned AS (
        SELECT *, coalesce(is_conversion OR next_at - occurred_at <= {lookback}, false)
                  AS attributed  -- no later conversion: not attributed
        FROM nexted),
    loose AS (  -- touches of no conversion, cut where more than the lookback apart
        SELECT *, sum(CASE WHEN gap IS NULL OR gap > {lookback} THEN 1 ELSE 0 END)
                  OVER (PARTITION BY customer_id ORDER BY occurred_at, channel) AS run
        FROM (SELECT *, occurred_at - lag(occurred_at) OVER (PARTITION BY customer_id
                        ORDER BY occurred_at, channel) AS gap
              FROM assigned WHERE NOT attributed) AS unattributed),
    keyed AS (
        SELECT customer_id, occurred_at, channel, is_conversion, order_id, amount,
               first_purchase, 'O:' || next_order AS journey_id FROM assigned WHERE attributed
        UNION ALL
        SELECT customer_id, occurred_at, channel, false, NULL, 0.0, false,
               'N:' || customer_id || ':' || CAST(run AS VARCHAR) FROM loose)
    SELECT *,
           row_number() OVER (PARTITION BY journey_id ORDER BY is_conversion, occurred_at,
                              channel) AS position,
           count(*) FILTER (WHERE NOT is_conversion) OVER (PARTITION BY journey_id)
               AS touches_before,
           (max(CASE WHEN is_conversion THEN 1 ELSE 0 END) OVER j = 1
            OR max(occurred_at) OVER j + {lookback} <= $as_of) AS keep
    FROM keyed
    WINDOW j AS (PARTITION BY journey_id)
    """


def _journeys_sql() -> str:
    return f"""
    SELECT journey_id, any_value(customer_id) AS customer_id,
           bool_or(is_conversion) AS converted,
           max(order_id) AS order_id, sum(amount) AS value,
           bool_or(first_purchase) AS first_purchase,
           min(occurred_at) AS started_at, max(occurred_at) AS ended_at,
           count(*) FILTER (WHERE NOT is_conversion) AS touches,
           string_agg(channel, '{SEPARATOR}' ORDER BY position)
               FILTER (WHERE NOT is_conversion) AS path,
           CASE WHEN bool_or(is_conversion)
                THEN date_diff('second', min(occurred_at), max(occurred_at)) / 3600.0
           END AS hours_to_conversion
    FROM journey_events
    WHERE keep AND touches_before > 0
    GROUP BY journey_id
    ORDER BY customer_id, started_at, journey_id
    """
