"""Purchase lines: each order line with who bought it, when, and the product's category,
the one table every cross-sell analysis starts from.

A line's category is its own ``category`` when the export gives one per line, else the
product's. Refund lines (negative quantities, or the lines of refund orders) keep their
sign, so per-customer sums are net of what came back.
"""

from __future__ import annotations

import pandas as pd

from ..data.container import CRMData
from ..data.validate import resolve_as_of
from ..engines import connect
from ..errors import ParameterError

LINE_COLUMNS = ("order_id", "product_id", "quantity", "unit_price")


def purchase_lines(data: CRMData, as_of=None, engine=None) -> pd.DataFrame:
    """Order lines of orders placed at or before ``as_of`` (default: the data's own).

    Returns ``customer_id``, ``order_id``, ``ordered_at`` (UTC), ``product_id``,
    ``category`` ("unknown" when neither the line nor the product has one), ``quantity``
    (negative on refunds) and ``amount`` = quantity x unit_price, in the data's currency.
    """
    lines, orders = data.order_lines, data.orders
    if lines is None or len(lines) == 0:
        raise ParameterError(
            "this data set has no order_lines: cross-sell needs what each order held "
            "(docs/guide/loyalty.md says how to import line-item exports)."
        )
    missing = [c for c in LINE_COLUMNS if c not in lines.columns]
    if missing:
        raise ParameterError(f"order_lines lacks {missing}: see docs/data_contract.md.")
    as_of = resolve_as_of(data.as_of if as_of is None else as_of)
    products = data.products
    if products is None or "category" not in products.columns:
        products = pd.DataFrame({"product_id": pd.Series([], dtype=str), "category": []})
    line_category = "l.category" if "category" in lines.columns else "NULL"
    with connect(engine) as sql:
        sql.register("lines", lines[[c for c in (*LINE_COLUMNS, "category") if c in lines]])
        sql.register("orders", orders[["order_id", "customer_id", "ordered_at"]])
        sql.register("products", products[["product_id", "category"]])
        found = sql.frame(
            f"""
            SELECT o.customer_id, l.order_id, o.ordered_at, l.product_id,
                   coalesce({line_category}, p.category, 'unknown') AS category,
                   l.quantity, l.quantity * l.unit_price AS amount
            FROM lines l
            JOIN orders o ON o.order_id = l.order_id
            LEFT JOIN products p ON p.product_id = l.product_id
            WHERE o.ordered_at <= $as_of
            ORDER BY o.ordered_at, l.order_id, l.product_id
            """,
            {"as_of": as_of},
        )
    return found
