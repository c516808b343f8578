"""Per-customer purchase summaries (lifetimes' definitions), computed as SQL in DuckDB.

Definitions (identical to the ``lifetimes`` package's utilities):
  - purchases are completed orders at or before ``as_of`` (see ``orders_view``: refunds are
    never purchases, and a refund naming its order nets against it once known). All
    purchases of one customer in one ``period`` (calendar day for "D", ISO week Monday..Sunday
    for "W") collapse into one purchase whose value is their sum;
  - ``frequency``: number of periods with a purchase, minus one (repeat purchases);
  - ``recency``: time between the first and the last purchase period, in ``time_unit``;
  - ``T``: time between the first purchase period and the period containing ``as_of``;
  - ``monetary_value``: mean value of the repeat purchase periods (0 without repeats).
``period="D", time_unit="W"`` measures weeks at daily resolution, as the published CDNOW
analyses do. One deliberate difference: lifetimes also counts purchases made *after*
``as_of`` when they fall in the same period as ``as_of``; crmlab never looks past ``as_of``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.validate import resolve_as_of
from ..errors import ParameterError
from ..sql import day_number, days_between, exact_avg, exact_part, exact_sum
from ..units import UNIT_NAMES, TimeUnit, convert, days_per_unit
from .orders_view import OrdersSource, OrdersView

PERIODS = {"D": "day", "W": "week"}  # period -> DuckDB date_trunc unit
EPOCH = pd.Timestamp("1970-01-01", tz="UTC")
MODEL_COLUMNS = ("frequency", "recency", "T")
DURATION_COLUMNS = ("recency", "T")  # the columns measured in time_unit


@dataclass(frozen=True)
class CustomerSummary:
    """One row per customer, and the facts needed to read it: when, and in which unit.

    table: indexed by customer_id (sorted). Model inputs frequency (repeat purchase
        periods), recency and T (in ``time_unit``), monetary_value (mean repeat purchase
        value); and, when built from orders: n_orders, revenue (purchases before refunds
        that do not name their order), first_order_at, last_order_at, days_since_last_order,
        n_refunds, refund_amount (a positive number) and net_revenue (every order and refund
        at or before as_of: what the customer paid in the end; below zero when a refund is
        for an order before the data starts).
    as_of: the moment the summary describes (UTC); events at exactly as_of are included.
    time_unit: unit of recency and T ("D", "W" or "M"; see ``crmlab.units``).
    period: calendar bucket in which purchases collapse into one ("D" or "W").

    Treat ``table`` as read-only; ``in_unit`` re-expresses durations, so a unit can never be
    lost the way ``summary.assign(T=summary["T"] / 7)`` lost it.
    """

    table: pd.DataFrame
    as_of: pd.Timestamp
    time_unit: TimeUnit = "D"
    period: str = "D"

    def __post_init__(self) -> None:
        days_per_unit(self.time_unit)
        check_period(self.period)
        if not isinstance(self.table, pd.DataFrame):
            raise ParameterError(f"table must be a DataFrame, not {type(self.table).__name__}.")
        object.__setattr__(self, "as_of", resolve_as_of(self.as_of))
        self.require(MODEL_COLUMNS, "a customer summary")

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, as_of, time_unit: TimeUnit, period: str = "D"
    ) -> CustomerSummary:
        """Wrap a summary made elsewhere (e.g. with lifetimes) after checking it: columns
        frequency, recency, T (in ``time_unit``) numeric, >= 0, recency <= T."""
        summary = cls(frame.copy(), as_of, time_unit, period)
        values = summary.table[list(MODEL_COLUMNS)]
        if not all(pd.api.types.is_numeric_dtype(values[c]) for c in MODEL_COLUMNS):
            raise ParameterError("frequency, recency and T must be numbers.")
        bad = (values < 0).any(axis=1) | (values["recency"] > values["T"])
        if bad.any():
            raise ParameterError(
                f"{int(bad.sum())} customer(s) have a negative value or recency > T "
                f"(e.g. {list(values.index[bad][:3])}); check the summary's time_unit."
            )
        return summary

    def __len__(self) -> int:
        return len(self.table)

    @property
    def customers(self) -> pd.Index:
        return self.table.index

    @property
    def unit_name(self) -> str:
        return UNIT_NAMES[self.time_unit]

    def in_unit(self, time_unit: TimeUnit) -> CustomerSummary:
        """The same summary with recency and T expressed in another ``time_unit``."""
        if time_unit == self.time_unit:
            return self
        table = self.table.copy()
        factor = convert(1.0, self.time_unit, time_unit)
        for column in DURATION_COLUMNS:
            table[column] = table[column] * factor
        return CustomerSummary(table, self.as_of, time_unit, self.period)

    def require(self, columns, purpose: str) -> None:
        """ParameterError naming the missing columns when ``purpose`` needs them."""
        missing = [c for c in columns if c not in self.table]
        if missing:
            raise ParameterError(
                f"{purpose} needs column(s) {missing}, which this summary lacks; build it from "
                "orders with crmlab.features.customer_summary."
            )


@dataclass(frozen=True)
class CalibrationHoldout:
    """A calibration-period summary and what each of its customers did in the holdout.

    calibration: ``customer_summary`` at calibration_end.
    holdout: indexed like calibration.table; frequency_holdout (purchase periods in
        (calibration_end, observation_end]) and monetary_value_holdout (mean value of the
        holdout orders, not of periods: lifetimes' convention).
    duration_holdout: time between the period of calibration_end and that of
        observation_end, in ``calibration.time_unit``.
    """

    calibration: CustomerSummary
    holdout: pd.DataFrame
    duration_holdout: float
    observation_end: pd.Timestamp

    @property
    def calibration_end(self) -> pd.Timestamp:
        return self.calibration.as_of

    @property
    def time_unit(self) -> str:
        return self.calibration.time_unit

    def lifetimes_frame(self) -> pd.DataFrame:
        """One wide frame as ``lifetimes.utils.calibration_and_holdout_data`` returns it."""
        columns = [c for c in (*MODEL_COLUMNS, "monetary_value") if c in self.calibration.table]
        out = self.calibration.table[columns].add_suffix("_cal").join(self.holdout)
        out["duration_holdout"] = self.duration_holdout
        return out


def customer_summary(
    orders: OrdersSource,
    as_of,
    time_unit: TimeUnit = "D",
    period: str = "D",
    engine=None,
) -> CustomerSummary:
    """Per-customer frequency / recency / T / monetary_value (lifetimes' definitions), money
    and dates, at ``as_of`` (see the module docstring and ``CustomerSummary``).

    orders: contract orders as a DataFrame, a CRMData, or a path / glob of Parquet files
        (read by DuckDB without loading them into pandas).
    as_of: the end of the observation period (naive means UTC); later orders are ignored,
        an order at exactly as_of counts.
    time_unit: unit of recency and T: "D", "W" or "M". period: "D" or "W" (see above).
    engine: where the SQL runs: None (embedded DuckDB), a SparkSession, or a Spark Connect
        address (``crmlab.engines``); the result is the same.
    """
    scale = days_per_unit(time_unit)
    trunc = check_period(period)
    as_of = resolve_as_of(as_of)
    with OrdersView(orders, engine) as view:
        view.known_at(as_of)
        sql = _summary_sql(trunc, scale, as_of, view.nets_refunds)
        table = view.frame(sql, {"as_of": as_of})
    return CustomerSummary(_finish(table), as_of, time_unit, period)


def calibration_holdout(
    orders: OrdersSource,
    calibration_end,
    observation_end,
    time_unit: TimeUnit = "D",
    period: str = "D",
    engine=None,
) -> CalibrationHoldout:
    """Calibration summary at ``calibration_end`` plus each customer's purchases in
    (calibration_end, observation_end] — ``lifetimes.utils.calibration_and_holdout_data``'s
    definitions. Customers whose first purchase is in the holdout are not included.
    ``engine`` as in ``customer_summary``."""
    scale = days_per_unit(time_unit)
    trunc = check_period(period)
    cal_end, obs_end = resolve_as_of(calibration_end), resolve_as_of(observation_end)
    if obs_end <= cal_end:
        raise ParameterError(
            f"observation_end ({obs_end:%Y-%m-%d}) must be after calibration_end "
            f"({cal_end:%Y-%m-%d})."
        )
    with OrdersView(orders, engine) as view:
        view.known_at(cal_end)
        sql = _summary_sql(trunc, scale, cal_end, view.nets_refunds)
        cal = _finish(view.frame(sql, {"as_of": cal_end}))
        view.known_at(obs_end)
        holdout = view.frame(
            f"""
            SELECT customer_id,
                   count(DISTINCT {day_number("ordered_at", trunc)}) AS frequency_holdout,
                   {exact_avg("amount")} AS monetary_value_holdout
            FROM purchases
            WHERE ordered_at > $cal_end AND ordered_at <= $obs_end
            GROUP BY customer_id
            """,
            {"cal_end": cal_end, "obs_end": obs_end},
        )
    duration = _periods_apart(trunc, cal_end, obs_end) / scale
    if holdout.empty:
        raise ParameterError(
            f"no purchases between calibration_end ({cal_end:%Y-%m-%d}) and observation_end "
            f"({obs_end:%Y-%m-%d}): choose an earlier calibration_end."
        )
    holdout = holdout.set_index("customer_id").reindex(cal.index)
    holdout = holdout.fillna(0.0).astype(float)
    return CalibrationHoldout(
        CustomerSummary(cal, cal_end, time_unit, period), holdout, float(duration), obs_end
    )


def _periods_apart(trunc: str, start: pd.Timestamp, end: pd.Timestamp) -> int:
    """Days between the starts of the periods (UTC days or ISO weeks) holding two moments."""
    return (period_start(end, trunc) - period_start(start, trunc)).days


def period_start(moment: pd.Timestamp, trunc: str) -> pd.Timestamp:
    """Start (UTC) of the period holding ``moment``: its day, or the Monday of its ISO week
    for ``trunc="week"`` (SQL's ``date_trunc``, computed in pandas)."""
    day = pd.Timestamp(moment).tz_convert("UTC").normalize()
    return day - pd.Timedelta(days=day.weekday()) if trunc == "week" else day


def check_period(period: str) -> str:
    """The DuckDB date_trunc unit of a ``period`` ("D" or "W"); ParameterError otherwise."""
    if period not in PERIODS:
        raise ParameterError(f"period={period!r}: use 'D' (calendar days) or 'W' (ISO weeks).")
    return PERIODS[period]


def _summary_sql(trunc: str, scale: float, as_of: pd.Timestamp, nets_refunds: bool) -> str:
    """One pass by customer over ``order_rows`` for money, dates and refunds, joined with
    the per-period collapse. That collapse groups nearly every order on its own, so it
    carries only what needs it: how many periods, and the first one's value (recency and T
    follow from the first and last order). Periods are integer day numbers
    (``sql.day_number``), cheaper to group by than timestamps. Measured in
    bench/customer_summary.py (docs/performance.md).

    ``nets_refunds``: see ``OrdersView.nets_refunds``. When refunds do not net, every row
    is a purchase or a refund, so net revenue is revenue plus refunds, added as decimals
    (the same number as a third sum, which costs 0.15 s on 10M rows)."""
    period = day_number("ordered_at", trunc)
    as_of_period = (period_start(as_of, trunc) - EPOCH).days
    first, last = day_number("first_order_at", trunc), day_number("last_order_at", trunc)
    bought = "purchase_amount IS NOT NULL"
    return f"""
    WITH periods AS (
        SELECT customer_id, {period} AS period, {exact_sum("purchase_amount")} AS amount
        FROM order_rows
        WHERE {bought} AND ordered_at <= $as_of
        GROUP BY customer_id, period
    ),
    per_customer AS (
        -- min_by picks the first period's value without a window function (Spark has it)
        SELECT customer_id, count(*) AS n_periods, min_by(amount, period) AS first_amount
        FROM periods
        GROUP BY customer_id
    ),
    totals AS (
        SELECT customer_id,
               count(purchase_amount) AS n_orders,
               {exact_sum("purchase_amount")} AS revenue,
               min(ordered_at) FILTER (WHERE {bought}) AS first_order_at,
               max(ordered_at) FILTER (WHERE {bought}) AS last_order_at,
               count(*) FILTER (WHERE is_refund) AS n_refunds,
               coalesce(-{exact_sum("amount", "is_refund")}, 0) AS refund_amount,
               {_net_revenue(nets_refunds)} AS net_revenue
        FROM order_rows
        WHERE ordered_at <= $as_of
        GROUP BY customer_id
    )
    SELECT customer_id,
           n_periods - 1 AS frequency,
           ({last} - {first}) / {scale} AS recency,
           ({as_of_period} - {first}) / {scale} AS T,
           CASE WHEN n_periods > 1 THEN (revenue - first_amount) / (n_periods - 1)
                ELSE 0 END AS monetary_value,
           n_orders, revenue, first_order_at, last_order_at,
           {days_between("last_order_at", "$as_of::TIMESTAMPTZ")} AS days_since_last_order,
           n_refunds, refund_amount, net_revenue
    FROM per_customer JOIN totals USING (customer_id)
    ORDER BY customer_id
    """


def _net_revenue(nets_refunds: bool) -> str:
    """SQL for every order and refund summed (DOUBLE); see ``_summary_sql``."""
    if nets_refunds:
        return exact_sum("amount")
    # DECIMAL(37, 9) parts: their sum keeps 9 decimals on Spark too (38 digits at most)
    revenue, refunds = (
        f"coalesce(CAST({part} AS DECIMAL(37, 9)), 0)"
        for part in (exact_part("purchase_amount"), exact_part("amount", "is_refund"))
    )
    return f"CAST({revenue} + {refunds} AS DOUBLE)"


def _finish(summary: pd.DataFrame) -> pd.DataFrame:
    summary = summary.set_index("customer_id")
    floats = ("frequency", "recency", "T", "monetary_value", "revenue")
    for col in (*floats, "refund_amount", "net_revenue"):
        summary[col] = summary[col].astype(float)
    for col in ("n_orders", "n_refunds"):
        summary[col] = summary[col].astype(np.int64)
    for col in ("first_order_at", "last_order_at"):
        summary[col] = pd.to_datetime(summary[col], utc=True)
    return summary
