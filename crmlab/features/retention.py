"""Retention by acquisition channel: of the customers a channel brought in, the share who
buy again 1, 2, 3, ... months after their first purchase.

* Purchases are crmlab's one definition (``features.orders_view``): refunds are none, nor
  are orders refunded in full by refunds known by ``as_of``.
* Acquisition channel: the ``channel`` of the customer's first purchase (the first by
  time, then by order_id).
* Month k (k = 1, 2, ...): days [30.4375 k, 30.4375 (k + 1)) after the first purchase.
* A customer counts for month k only once the month has ended by ``as_of`` (customers
  acquired lately are not counted as lost); ``buyers`` bought in it.
"""

from __future__ import annotations

import pandas as pd

from ..data.container import CRMData
from ..data.validate import resolve_as_of
from ..engines import is_embedded
from ..errors import ParameterError, whole_number
from ..intervals import check_alpha
from .orders_view import OrdersView

MONTH_DAYS = 30.4375


def retention_by_channel(
    data: CRMData, as_of=None, months: int = 12, alpha: float = 0.05, engine=None
) -> pd.DataFrame:
    """One row per acquisition channel and month 1..``months``: ``channel``, ``month``,
    ``customers`` (observed through that month), ``buyers``, ``retention`` (buyers /
    customers) with its Wilson interval (``ci_low``, ``ci_high``)."""
    whole_number("months", months, of="months")
    alpha = check_alpha(alpha)
    if not is_embedded(engine):
        raise ParameterError("retention_by_channel runs on the embedded DuckDB engine only.")
    orders = data.orders
    if "channel" not in orders.columns:
        raise ParameterError("orders have no channel column: no acquisition channel to group by.")
    as_of = resolve_as_of(data.as_of if as_of is None else as_of)
    with OrdersView(orders, engine) as view:
        view.known_at(as_of)
        found = view.frame(_retention_sql("order_id" in orders.columns, months), {"as_of": as_of})
    found["customers"] = found["customers"].astype("int64")
    found["buyers"] = found["buyers"].astype("int64")
    found = found[found["customers"] > 0].reset_index(drop=True)
    found["retention"] = found["buyers"] / found["customers"]
    # imported here: statsmodels costs a third of a second, and most users of
    # crmlab.features (every report's first cell) never reach this line
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(found["buyers"], found["customers"], alpha, method="wilson")
    return found.assign(ci_low=low, ci_high=high)


def _retention_sql(has_order_id: bool, months: int) -> str:
    order_key = ", order_id" if has_order_id else ""
    return f"""
    WITH bought AS (
        SELECT customer_id, ordered_at, coalesce(channel, 'unknown') AS channel{order_key}
        FROM purchases WHERE ordered_at <= $as_of),
    firsts AS (
        SELECT customer_id, ordered_at AS first_at, channel FROM (
            SELECT *, row_number() OVER (PARTITION BY customer_id
                                         ORDER BY ordered_at{order_key}) AS n
            FROM bought) AS o
        WHERE n = 1),
    months AS (SELECT range AS month FROM range(1, {int(months) + 1})),
    observed AS (  -- customers whose month has ended by as_of
        SELECT f.customer_id, f.channel, m.month FROM firsts f CROSS JOIN months m
        WHERE f.first_at + to_milliseconds(CAST({MONTH_DAYS} * 86400000 * (m.month + 1)
                                                AS BIGINT)) <= $as_of),
    active AS (
        SELECT DISTINCT b.customer_id,
               CAST(floor(date_diff('second', f.first_at, b.ordered_at)
                          / ({MONTH_DAYS} * 86400)) AS BIGINT) AS month
        FROM bought b JOIN firsts f USING (customer_id))
    SELECT o.channel, o.month, count(*) AS customers, count(a.customer_id) AS buyers
    FROM observed o LEFT JOIN active a ON a.customer_id = o.customer_id AND a.month = o.month
    GROUP BY o.channel, o.month
    ORDER BY o.channel, o.month
    """
