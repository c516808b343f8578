"""Calendar aggregates: orders and new customers per month, purchases per period."""

from __future__ import annotations

import pandas as pd

from ..data.container import CRMData
from ..data.validate import resolve_as_of
from ..engines import connect
from ..sql import exact_sum
from .orders_view import OrdersSource, OrdersView
from .summary import check_period, period_start


def monthly_orders(orders: OrdersSource, engine=None) -> pd.DataFrame:
    """Orders per calendar month (UTC): month, orders, customers, revenue, refunds.

    ``orders`` and ``revenue`` count completed orders; ``refunds`` is the refunded amount
    (a positive number) booked in the month; ``customers`` is the number of distinct buyers.
    engine: where the SQL runs (``crmlab.engines``).
    """
    with OrdersView(orders, engine) as view:
        out = view.frame(
            f"""
            WITH p AS (SELECT date_trunc('month', ordered_at) AS month, count(*) AS orders,
                              count(DISTINCT customer_id) AS customers,
                              {exact_sum("amount")} AS revenue
                       FROM purchases GROUP BY month),
                 r AS (SELECT date_trunc('month', ordered_at) AS month,
                              -{exact_sum("amount")} AS refunds
                       FROM refund_rows GROUP BY month)
            SELECT month, coalesce(orders, 0) AS orders, coalesce(customers, 0) AS customers,
                   coalesce(revenue, 0) AS revenue, coalesce(refunds, 0) AS refunds
            FROM p FULL JOIN r USING (month) ORDER BY month
            """
        )
    out["month"] = pd.to_datetime(out["month"], utc=True)
    for column in ("orders", "customers"):
        out[column] = out[column].astype("int64")
    return out


def purchase_tracking(
    orders: OrdersSource, end, period: str = "D", cohort_end=None, engine=None
) -> pd.DataFrame:
    """Per period up to ``end``: customers making their first purchase, and repeat purchases.

    Purchases are collapsed per customer and ``period`` ("D" or "W") as in
    ``customer_summary``; a repeat purchase is any purchase period of a customer after their
    first. cohort_end: only count customers whose first purchase is at or before it
    (default: everyone). Returns period
    (start, UTC), first_purchases, repeat_purchases; empty periods are included as zeros.
    engine: where the SQL runs (``crmlab.engines``).
    """
    unit = check_period(period)
    end = resolve_as_of(end)
    cohort_end = end if cohort_end is None else resolve_as_of(cohort_end)
    with OrdersView(orders, engine) as view:
        counts = view.frame(
            f"""
            WITH p AS (SELECT DISTINCT customer_id, date_trunc('{unit}', ordered_at) AS period
                       FROM purchases WHERE ordered_at <= $end),
                 f AS (SELECT customer_id, min(period) AS first FROM p GROUP BY customer_id
                       HAVING min(period) <= $cohort_end),
                 firsts AS (SELECT first AS period, count(*) AS n FROM f GROUP BY first),
                 repeats AS (SELECT p.period, count(*) AS n FROM p JOIN f USING (customer_id)
                             WHERE p.period > f.first GROUP BY p.period)
            SELECT period, coalesce(firsts.n, 0) AS first_purchases,
                   coalesce(repeats.n, 0) AS repeat_purchases
            FROM firsts FULL JOIN repeats USING (period)
            """,
            {"end": end, "cohort_end": cohort_end},
        )
    counts["period"] = pd.to_datetime(counts["period"], utc=True)
    out = pd.DataFrame({"period": _grid(counts, unit, end)})
    out = out.merge(counts, on="period", how="left").fillna(0)
    for column in ("first_purchases", "repeat_purchases"):
        out[column] = out[column].astype("int64")
    return out


def _grid(counts: pd.DataFrame, unit: str, end: pd.Timestamp) -> pd.DatetimeIndex:
    """Every period from the first cohort's to the one holding ``end``."""
    last = period_start(end, unit)
    if counts.empty:
        return pd.DatetimeIndex([], tz="UTC", name="period")
    first = counts.loc[counts["first_purchases"] > 0, "period"].min()
    step = "7D" if unit == "week" else "D"
    return pd.date_range(first, last, freq=step, name="period")


def monthly_new_customers(customers: pd.DataFrame | CRMData, engine=None) -> pd.DataFrame:
    """Customers by the calendar month (UTC) of ``first_seen_at``: month, new_customers.
    engine: where the SQL runs (``crmlab.engines``)."""
    frame = customers.customers if isinstance(customers, CRMData) else customers
    with connect(engine) as sql:
        sql.register("customers_source", frame[["customer_id", "first_seen_at"]])
        out = sql.frame(
            "SELECT date_trunc('month', first_seen_at) AS month, count(*) AS new_customers "
            "FROM customers_source GROUP BY month ORDER BY month"
        )
    out["month"] = pd.to_datetime(out["month"], utc=True)
    out["new_customers"] = out["new_customers"].astype("int64")
    return out


def cohort_buyers(orders: OrdersSource, unit: str, per_year: int, engine=None) -> pd.DataFrame:
    """Buyers per acquisition cohort and period since acquisition: cohort (start of the
    ``unit`` of a customer's first purchase, UTC), k (whole periods since, of ``per_year``
    a year), buyers (customers with a purchase in that period)."""
    with OrdersView(orders, engine) as view:
        tidy = view.frame(
            f"""
            WITH p AS (SELECT DISTINCT customer_id, date_trunc('{unit}', ordered_at) AS period
                       FROM purchases),
            c AS (SELECT customer_id, min(period) AS cohort FROM p GROUP BY customer_id),
            b AS (SELECT c.cohort,
                         CAST(round(date_diff('day', c.cohort, p.period) * {per_year} / 365.25)
                              AS INT) AS k
                  FROM p JOIN c USING (customer_id))
            SELECT cohort, k, count(*) AS buyers FROM b GROUP BY cohort, k ORDER BY cohort, k
            """
        )
    tidy["cohort"] = pd.to_datetime(tidy["cohort"], utc=True)
    tidy["k"] = tidy["k"].astype("int64")
    tidy["buyers"] = tidy["buyers"].astype("int64")
    return tidy
