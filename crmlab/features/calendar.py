"""Calendar aggregates: orders and new customers per month, purchases per period."""

from __future__ import annotations

import duckdb
import pandas as pd

from ..data.container import CRMData
from ..data.validate import resolve_as_of
from ..sql import exact_sum, to_pandas
from .orders_view import OrdersSource, OrdersView
from .summary import check_period


def monthly_orders(orders: OrdersSource) -> pd.DataFrame:
    """Orders per calendar month (UTC): month, orders, customers, revenue, refunds.

    ``orders`` and ``revenue`` count completed orders; ``refunds`` is the refunded amount
    (a positive number) booked in the month; ``customers`` is the number of distinct buyers.
    """
    with OrdersView(orders) as con:
        out = to_pandas(
            con.execute(
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
        )
    out["month"] = pd.to_datetime(out["month"], utc=True)
    return out


def purchase_tracking(
    orders: OrdersSource, end, period: str = "D", cohort_end=None
) -> pd.DataFrame:
    """Per period up to ``end``: customers making their first purchase, and repeat purchases.

    Purchases are collapsed per customer and ``period`` ("D" or "W") as in
    ``customer_summary``; a repeat purchase is any purchase period of a customer after their
    first. cohort_end: only count customers whose first purchase is at or before it
    (default: everyone). Returns period
    (start, UTC), first_purchases, repeat_purchases; empty periods are included as zeros.
    """
    unit = check_period(period)
    end = resolve_as_of(end)
    cohort_end = end if cohort_end is None else resolve_as_of(cohort_end)
    with OrdersView(orders) as con:
        out = to_pandas(
            con.execute(
                f"""
            WITH p AS (SELECT DISTINCT customer_id, date_trunc('{unit}', ordered_at) AS period
                       FROM purchases WHERE ordered_at <= $end),
                 f AS (SELECT customer_id, min(period) AS first FROM p GROUP BY customer_id
                       HAVING min(period) <= $cohort_end),
                 grid AS (SELECT unnest(generate_series((SELECT min(first) FROM f),
                                        date_trunc('{unit}', $end::TIMESTAMPTZ),
                                        INTERVAL 1 {unit})) AS period),
                 firsts AS (SELECT first AS period, count(*) AS n FROM f GROUP BY first),
                 repeats AS (SELECT p.period, count(*) AS n FROM p JOIN f USING (customer_id)
                             WHERE p.period > f.first GROUP BY p.period)
            SELECT grid.period, coalesce(firsts.n, 0) AS first_purchases,
                   coalesce(repeats.n, 0) AS repeat_purchases
            FROM grid LEFT JOIN firsts USING (period) LEFT JOIN repeats USING (period)
            ORDER BY grid.period
            """,
                {"end": end, "cohort_end": cohort_end},
            )
        )
    out["period"] = pd.to_datetime(out["period"], utc=True)
    return out


def monthly_new_customers(customers: pd.DataFrame | CRMData) -> pd.DataFrame:
    """Customers by the calendar month (UTC) of ``first_seen_at``: month, new_customers."""
    frame = customers.customers if isinstance(customers, CRMData) else customers
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("customers_source", frame[["customer_id", "first_seen_at"]])
        out = to_pandas(
            con.execute(
                "SELECT date_trunc('month', first_seen_at) AS month, count(*) AS new_customers "
                "FROM customers_source GROUP BY month ORDER BY month"
            )
        )
    finally:
        con.close()
    out["month"] = pd.to_datetime(out["month"], utc=True)
    return out
