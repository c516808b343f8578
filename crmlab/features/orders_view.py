"""One DuckDB connection with the order views every feature query starts from.

Views: ``orders_source`` (the given orders), ``purchases`` (completed orders, net of the
refunds that name them once those are known), ``refund_rows`` and ``all_rows``. This is the
single definition of "a purchase" in crmlab; summaries, snapshots, experiment units and
retention curves all read it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from ..data.container import CRMData
from ..data.parquet import parquet_view
from ..errors import DataContractError, ParameterError
from ..sql import exact_sum

OrdersSource = pd.DataFrame | CRMData | str | Path
NEEDED = ("customer_id", "ordered_at", "amount")


class OrdersView:
    """``with OrdersView(orders) as con:`` — a connection (UTC) with the views above.

    orders: contract orders as a DataFrame, a CRMData, or a path / glob of Parquet files.
    """

    def __init__(self, orders: OrdersSource):
        self.orders = orders

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect()
        try:
            con.execute("SET TimeZone = 'UTC'")
            columns = self._register(con)
            _create_views(con, columns)
        except Exception:
            con.close()
            raise
        self.con = con
        return con

    def _register(self, con) -> set[str]:
        source = self.orders.orders if isinstance(self.orders, CRMData) else self.orders
        if isinstance(source, pd.DataFrame):
            check_columns(source.columns, "the orders DataFrame")
            if not pd.api.types.is_datetime64_any_dtype(source["ordered_at"]):
                raise DataContractError(
                    f"orders.ordered_at holds {source['ordered_at'].dtype} values, not "
                    "timestamps; pass the data through crmlab.data.validate() or load() first."
                )
            con.register("orders_source", source)
            return set(source.columns)
        if isinstance(source, (str, Path)):
            columns = parquet_view(con, source, "orders_source")
            check_columns(columns, str(source))
            return columns
        raise ParameterError(
            f"orders must be a DataFrame, CRMData or Parquet path, not {type(source).__name__}"
        )

    def __exit__(self, *exc) -> None:
        self.con.close()


def _create_views(con, columns: set[str]) -> None:
    refund = is_refund(columns)
    con.execute(
        "CREATE VIEW refund_rows AS SELECT customer_id, ordered_at, amount FROM orders_source "
        f"WHERE {refund}"
    )
    con.execute("CREATE VIEW all_rows AS SELECT customer_id, ordered_at, amount FROM orders_source")
    if "refund_of" in columns and "order_id" in columns:
        # A refund naming its order nets against it once it is known (at or before the
        # `known_at` variable each query sets): an order refunded in full is no purchase.
        con.execute("SET VARIABLE known_at = NULL")
        con.execute(
            f"""CREATE VIEW purchases AS
            WITH linked AS (
                SELECT refund_of AS order_id, {exact_sum("amount")} AS refunded
                FROM orders_source
                WHERE {refund} AND refund_of IS NOT NULL
                  AND ordered_at <= coalesce(getvariable('known_at'), ordered_at)
                GROUP BY refund_of)
            SELECT o.customer_id, o.ordered_at, o.amount + coalesce(l.refunded, 0) AS amount
            FROM orders_source o LEFT JOIN linked l USING (order_id)
            WHERE NOT {is_refund(columns, "o.")}
              AND o.amount + coalesce(l.refunded, 0) > 0"""
        )
    else:
        con.execute(
            "CREATE VIEW purchases AS SELECT customer_id, ordered_at, amount "
            f"FROM orders_source WHERE NOT {refund}"
        )


def is_refund(columns, alias: str = "") -> str:
    """SQL: is this order row a refund? Without a status column a negative amount is one
    (as ``data.validate`` marks it)."""
    if "status" in columns:
        return f"coalesce({alias}status = 'refunded', false)"
    return f"coalesce({alias}amount < 0, false)"


def known_at(con, moment: pd.Timestamp) -> None:
    """Refunds that name their order net against it only once they are known (at or before
    ``moment``)."""
    con.execute(f"SET VARIABLE known_at = TIMESTAMPTZ '{moment.isoformat()}'")


def check_columns(columns, where: str) -> None:
    """DataContractError unless customer_id, ordered_at and amount are present."""
    missing = [c for c in NEEDED if c not in set(columns)]
    if missing:
        raise DataContractError(
            f"{where} lacks column(s) {', '.join(missing)}; orders need customer_id, "
            "ordered_at (timestamp) and amount (see docs/data_contract.md)."
        )
