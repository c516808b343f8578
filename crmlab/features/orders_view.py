"""One SQL engine with the order views every feature query starts from.

Views: ``orders_source`` (the given orders), ``purchases`` (completed orders, net of the
refunds that name them once those are known), ``refund_rows`` and ``all_rows``. This is the
single definition of "a purchase" in crmlab; summaries, snapshots, experiment units,
retention curves and journeys' conversions all read it.

``purchases`` has customer_id, ordered_at and amount, plus order_id and channel where the
orders have them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..data.container import CRMData
from ..engines import connect, is_spark
from ..errors import DataContractError, ParameterError
from ..sql import exact_sum

OrdersSource = pd.DataFrame | CRMData | str | Path
NEEDED = ("customer_id", "ordered_at", "amount")


class OrdersView:
    """``with OrdersView(orders, engine) as view:`` — an engine (``crmlab.engines``) with
    the views above; ``view.frame(sql, params)`` runs a query, ``view.known_at(moment)``
    sets when refunds become known.

    orders: contract orders as a DataFrame, a CRMData, or a path / glob of Parquet files
        (or, on Spark, a Spark DataFrame or a catalogue table name such as "sales.orders").
    engine: None (embedded DuckDB), a SparkSession or a Spark Connect address.
    """

    def __init__(self, orders: OrdersSource, engine=None):
        self.orders = orders
        self._engine_arg = engine

    def __enter__(self) -> OrdersView:
        self.engine = connect(self._engine_arg)
        try:
            self.columns = self._register()
            self.known_at(None)
            self.engine.create_view(
                "refund_rows",
                "SELECT customer_id, ordered_at, amount FROM orders_source "
                f"WHERE {is_refund(self.columns)}",
            )
            self.engine.create_view(
                "all_rows", "SELECT customer_id, ordered_at, amount FROM orders_source"
            )
        except Exception:
            self.engine.close()
            raise
        return self

    def _register(self) -> set[str]:
        source = self.orders.orders if isinstance(self.orders, CRMData) else self.orders
        if isinstance(source, pd.DataFrame):
            check_columns(source.columns, "the orders DataFrame")
            if not pd.api.types.is_datetime64_any_dtype(source["ordered_at"]):
                raise DataContractError(
                    f"orders.ordered_at holds {source['ordered_at'].dtype} values, not "
                    "timestamps; pass the data through crmlab.data.validate() or load() first."
                )
        elif not isinstance(source, str | Path) and not is_spark(source, "DataFrame"):
            raise ParameterError(
                f"orders must be a DataFrame, CRMData or Parquet path, not {type(source).__name__}"
            )
        columns = set(self.engine.register("orders_source", source))
        check_columns(columns, "the orders" if isinstance(source, pd.DataFrame) else str(source))
        return columns

    def frame(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        """A query's result as pandas."""
        return self.engine.frame(sql, params)

    def known_at(self, moment: pd.Timestamp | None) -> None:
        """(Re)define ``purchases``: a refund naming its order nets against it once it is
        known, at or before ``moment`` (None: every refund in the data)."""
        self.engine.create_view("purchases", _purchases_sql(self.columns, moment))

    def __exit__(self, *exc) -> None:
        self.engine.close()


PASSED_ON = ("order_id", "channel")  # carried into ``purchases`` where the orders have them


def _purchases_sql(columns: set[str], moment: pd.Timestamp | None) -> str:
    refund = is_refund(columns)
    carried = [c for c in PASSED_ON if c in columns]
    extra, extra_o = "".join(f", {c}" for c in carried), "".join(f", o.{c}" for c in carried)
    if not ("refund_of" in columns and "order_id" in columns):
        return (
            f"SELECT customer_id, ordered_at, amount{extra} FROM orders_source WHERE NOT {refund}"
        )
    known = f"AND ordered_at <= TIMESTAMPTZ '{moment.isoformat()}'" if moment is not None else ""
    # an order refunded in full is no purchase
    return f"""
        WITH linked AS (
            SELECT refund_of AS order_id, {exact_sum("amount")} AS refunded
            FROM orders_source
            WHERE {refund} AND refund_of IS NOT NULL {known}
            GROUP BY refund_of)
        SELECT o.customer_id, o.ordered_at, o.amount + coalesce(l.refunded, 0) AS amount{extra_o}
        FROM orders_source o LEFT JOIN linked l ON l.order_id = o.order_id
        WHERE NOT {is_refund(columns, "o.")}
          AND o.amount + coalesce(l.refunded, 0) > 0"""


def is_refund(columns, alias: str = "") -> str:
    """SQL: is this order row a refund? Without a status column a negative amount is one
    (as ``data.validate`` marks it)."""
    if "status" in columns:
        return f"coalesce({alias}status = 'refunded', false)"
    return f"coalesce({alias}amount < 0, false)"


def check_columns(columns, where: str) -> None:
    """DataContractError unless customer_id, ordered_at and amount are present."""
    missing = [c for c in NEEDED if c not in set(columns)]
    if missing:
        raise DataContractError(
            f"{where} lacks column(s) {', '.join(missing)}; orders need customer_id, "
            "ordered_at (timestamp) and amount (see docs/data_contract.md)."
        )
